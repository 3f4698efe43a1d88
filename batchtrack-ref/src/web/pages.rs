//! Refusals as pages. Handlers and the tenancy layer answer errors as
//! problem details, the API's way, and axum answers bare ones (a route
//! that is not there); [`as_page`] turns each into what a person in a
//! browser needs: the sign-in page when nobody is signed in, whom to
//! contact when billing lapsed, and otherwise a page that says what went
//! wrong, with the same status.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::SESSION_COOKIE;
use super::layout::{Chrome, csrf_field, page};

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

/// Paths that are not pages: the API and its documents answer problems.
fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path == "/api"
        || path.starts_with("/openapi.json")
        || path.starts_with("/docs")
        || path == "/health")
}

/// Turns the errors of page requests into pages, and gives every page the
/// headers of a page: never framed (clickjacking), never sniffed, never
/// cached (a shared terminal on the floor shows nothing after sign-out).
pub(crate) async fn as_page(request: Request, next: Next) -> Response {
    if !is_page(request.uri().path()) {
        return next.run(request).await;
    }
    // After signing in again, a GET goes back where it was; a form's POST
    // cannot be replayed, so it goes to the dashboard.
    let back_to = if request.method() == axum::http::Method::GET {
        request
            .uri()
            .path_and_query()
            .map_or("/", |path| path.as_str())
            .to_owned()
    } else {
        "/".to_owned()
    };
    let path = request.uri().path().to_owned();
    let csrf = tenancy_axum::cookie_value(request.headers(), SESSION_COOKIE)
        .filter(|token| !token.is_empty())
        .map(tenancy_axum::csrf_token);
    let response = next.run(request).await;
    let mut response = page_of(response, &back_to, &path, csrf.as_deref()).await;
    let headers = response.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

async fn page_of(response: Response, back_to: &str, path: &str, csrf: Option<&str>) -> Response {
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|value| value.as_bytes().to_vec())
        .unwrap_or_default();
    if !(status.is_client_error() || status.is_server_error())
        || content_type.starts_with(b"text/html")
    {
        return response;
    }
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let allow = response.headers().get(header::ALLOW).cloned();
    let said: Said = if content_type.starts_with(b"application/problem+json") {
        match to_bytes(response.into_body(), PROBLEM_LIMIT).await {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_default(),
            Err(_) => Said::default(),
        }
    } else {
        // A bare error (a route that is not there, a method it lacks, a
        // malformed path or query): said by its status, never by its text.
        Said {
            title: match status {
                StatusCode::NOT_FOUND => "Not found".into(),
                StatusCode::METHOD_NOT_ALLOWED => "Not here".into(),
                _ => status.canonical_reason().unwrap_or("Error").into(),
            },
            detail: Some(
                match status {
                    StatusCode::NOT_FOUND => "There is no such page.",
                    StatusCode::METHOD_NOT_ALLOWED => "This page does not take that request.",
                    _ if status.is_client_error() => "The address or the form was not understood.",
                    _ => "Something went wrong on our side.",
                }
                .into(),
            ),
            ..Said::default()
        }
    };
    if status == StatusCode::UNAUTHORIZED {
        return Redirect::to(&sign_in_then(back_to, &said.code)).into_response();
    }
    // Signed in, acting nowhere: a developer chooses where (anyone else
    // is refused there too, without a loop).
    if said.code == "no_organization" && path != "/organizations" {
        return Redirect::to("/organizations").into_response();
    }
    let mut answer = (status, error_page(status, &said, csrf)).into_response();
    for (name, value) in [(header::RETRY_AFTER, retry_after), (header::ALLOW, allow)] {
        if let Some(value) = value {
            answer.headers_mut().insert(name, value);
        }
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

fn error_page(status: StatusCode, said: &Said, csrf: Option<&str>) -> maud::Markup {
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
            p { a href="/" { "Back to the dashboard" } }
            @if let Some(csrf) = csrf {
                form method="post" action="/sign-out" {
                    (csrf_field(csrf))
                    button.secondary type="submit" { "Sign out" }
                }
            } @else {
                p { a href="/sign-in" { "Sign in" } }
            }
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
