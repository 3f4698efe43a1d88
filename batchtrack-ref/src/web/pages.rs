//! Refusals as pages. Handlers and the tenancy layer answer errors as
//! problem details, the API's way; [`as_page`] turns each into what a
//! person in a browser needs: the sign-in page when nobody is signed in,
//! whom to contact when billing lapsed, and otherwise a page that says
//! what went wrong, with the same status.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::layout::{Chrome, page};

/// The largest problem body read back (they are a few hundred bytes).
const PROBLEM_LIMIT: usize = 16 * 1024;

/// What a problem body says.
#[derive(Debug, Default, Deserialize)]
struct Said {
    #[serde(default)]
    title: String,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    code: String,
    #[serde(default)]
    contact: Option<String>,
}

/// Turns problem responses into pages.
pub(super) async fn as_page(request: Request, next: Next) -> Response {
    let next_path = request
        .uri()
        .path_and_query()
        .map_or("/", |path| path.as_str())
        .to_owned();
    let response = next.run(request).await;
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/problem+json"));
    if !is_problem {
        return response;
    }
    let status = response.status();
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let said: Said = match to_bytes(response.into_body(), PROBLEM_LIMIT).await {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_default(),
        Err(_) => Said::default(),
    };
    if status == StatusCode::UNAUTHORIZED {
        return Redirect::to(&sign_in_then(&next_path, &said.code)).into_response();
    }
    // Signed in, acting nowhere: a developer chooses where (anyone else
    // is refused there too, without a loop).
    if said.code == "no_organization" && next_path != "/organizations" {
        return Redirect::to("/organizations").into_response();
    }
    let mut answer = (status, error_page(status, &said)).into_response();
    if let Some(retry_after) = retry_after {
        answer
            .headers_mut()
            .insert(header::RETRY_AFTER, retry_after);
    }
    answer
}

/// The sign-in page's address, coming back to `path` after.
fn sign_in_then(path: &str, code: &str) -> String {
    let mut to = String::from("/sign-in");
    let mut query = form_urlencoded::Serializer::new(String::new());
    // Only a path of this site: `//elsewhere` would leave it.
    if path.starts_with('/') && !path.starts_with("//") && path != "/" {
        query.append_pair("next", path);
    }
    if code == "invalid_credentials" {
        query.append_pair("expired", "1");
    }
    let query = query.finish();
    if !query.is_empty() {
        to.push('?');
        to.push_str(&query);
    }
    to
}

fn error_page(status: StatusCode, said: &Said) -> maud::Markup {
    let title = if said.title.is_empty() {
        status.canonical_reason().unwrap_or("Error")
    } else {
        &said.title
    };
    page(
        &Chrome::bare(),
        title,
        html! {
            h1 { (title) }
            @if status == StatusCode::PAYMENT_REQUIRED {
                p { "This organization's subscription has lapsed, so only its owner can sign in until it is renewed." }
                @match &said.contact {
                    Some(contact) => p { "Please contact the owner, " a href=(format!("mailto:{contact}")) { (contact) } ", to restore access." },
                    None => p { "Please contact the organization's owner to restore access." },
                }
            } @else {
                @if let Some(detail) = &said.detail { p { (detail) } }
                @if status.is_server_error() {
                    p { "Nothing was changed. Please try again in a moment." }
                }
            }
            p { a href="/" { "Back to the dashboard" } " · " a href="/sign-in" { "Sign in as someone else" } }
        },
    )
}

/// The page of an error a handler met, answered as the API would answer
/// it (a problem, which [`as_page`] renders).
pub(super) fn refused(error: impl Into<crate::http::ApiError>) -> Response {
    error.into().into_response()
}

/// An empty `303 See Other` to `to`: where a form that worked goes next.
pub(super) fn see_other(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .body(Body::empty())
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_comes_back_to_paths_of_this_site_only() {
        assert_eq!(sign_in_then("/", "unauthenticated"), "/sign-in");
        assert_eq!(
            sign_in_then("/batches?x=1", "unauthenticated"),
            "/sign-in?next=%2Fbatches%3Fx%3D1"
        );
        assert_eq!(
            sign_in_then("//evil.example/", "unauthenticated"),
            "/sign-in"
        );
        assert_eq!(
            sign_in_then("/", "invalid_credentials"),
            "/sign-in?expired=1"
        );
    }
}
