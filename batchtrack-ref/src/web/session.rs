//! Signing in and out in the browser: the password sign-in of the API,
//! with the session token in an `HttpOnly` cookie instead of a response
//! body, and a sign-in form protected against login CSRF (another site
//! signing the browser into an account of its choosing).

use std::net::SocketAddr;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use tenancy_access::PasswordAttempt;
use tenancy_axum::{SignInRejection, cookie_value};

use super::forms::Form;
use super::layout::{Chrome, csrf_field, page};
use super::pages::see_other;
use super::{SESSION_COOKIE, SIGN_IN_COOKIE};
use crate::domain::Store;
use crate::http::{Api, SESSION_TTL};

/// Where to go after signing in, and why the form is shown.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Arrival {
    next: Option<String>,
    expired: Option<String>,
}

/// `next` if it is a path of this site, else the dashboard: `/` then
/// visible ASCII only (browsers drop tabs and newlines from a `Location`,
/// so `/\t/evil.example` would leave the site), never `//` or `\\`.
fn destination(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && path.bytes().all(|byte| byte.is_ascii_graphic())
                && !path.contains('\\') =>
        {
            path
        }
        _ => "/",
    }
}

/// Whether the request came over TLS (directly or through a proxy that
/// says so), so that cookies are marked `Secure`.
fn over_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, `Path=/`, `Secure`
/// over TLS; `max_age` in seconds, 0 to remove it.
fn cookie(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!("{name}={value}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn random_secret() -> String {
    let mut bytes = [0_u8; 32];
    // The system's generator; without it, no sign-in form can be keyed.
    if getrandom::fill(&mut bytes).is_err() {
        return String::new();
    }
    hex::encode(bytes)
}

/// The sign-in form, keyed by the browser's sign-in cookie (made when
/// missing).
pub(super) async fn form(headers: HeaderMap, Query(arrival): Query<Arrival>) -> Response {
    let (secret, fresh) = match cookie_value(&headers, SIGN_IN_COOKIE) {
        Some(secret) if secret.len() == 64 => (secret.to_owned(), false),
        _ => (random_secret(), true),
    };
    let notice = arrival
        .expired
        .is_some()
        .then_some("Your session has ended. Please sign in again.");
    let mut response = sign_in_page(&secret, arrival.next.as_deref(), "", notice).into_response();
    if fresh {
        response.headers_mut().append(
            header::SET_COOKIE,
            cookie(SIGN_IN_COOKIE, &secret, 3600, over_tls(&headers)),
        );
    }
    response
}

fn sign_in_page(secret: &str, next: Option<&str>, email: &str, problem: Option<&str>) -> Markup {
    page(
        &Chrome::bare(),
        "Sign in",
        html! {
            h1 { "Sign in" }
            @if let Some(problem) = problem { p.banner.bad role="alert" { (problem) } }
            form.card method="post" action="/sign-in" {
                (csrf_field(&tenancy_axum::csrf_token(secret)))
                input type="hidden" name="next" value=(destination(next));
                label for="email" { "Email" }
                input id="email" name="email" type="email" autocomplete="username" required value=(email);
                label for="password" { "Password" }
                input id="password" name="password" type="password" autocomplete="current-password" required;
                button type="submit" { "Sign in" }
            }
        },
    )
}

/// Signs in with the form's email and password, sets the session cookie
/// and goes to `next`.
pub(super) async fn sign_in<DB: Store>(
    State(api): State<Api<DB>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let secret = cookie_value(&headers, SIGN_IN_COOKIE)
        .unwrap_or("")
        .to_owned();
    let form = match Form::checked(&body, &secret) {
        Ok(form) => form,
        Err(refused) => return refused.into_response(),
    };
    let next = destination(Some(form.text("next"))).to_owned();
    let (email, password) = (form.text("email"), form.text("password"));
    let now = chrono::Utc::now();
    // Failed attempts are counted per peer address and account, as the
    // API counts them (never by a header the client could vary).
    let source = peer.map_or_else(
        || "unknown".to_owned(),
        |Extension(ConnectInfo(peer))| peer.ip().to_string(),
    );
    let attempt = PasswordAttempt::new(email, password, &source);
    let signed_in = tenancy_access::sign_in_with_password(
        &api.pool,
        &api.passwords,
        attempt,
        None,
        &api.policy,
        SESSION_TTL,
        now,
    )
    .await
    .map_err(SignInRejection::from);
    match signed_in {
        Ok(token) => {
            // A session the browser still held ends: one browser, one
            // session.
            if let Some(old) = cookie_value(&headers, SESSION_COOKIE).filter(|old| !old.is_empty())
            {
                let _ = tenancy_access::revoke_session(&api.pool, old, now).await;
            }
            let mut response = see_other(&next);
            let tls = over_tls(&headers);
            let headers = response.headers_mut();
            headers.append(
                header::SET_COOKIE,
                cookie(
                    SESSION_COOKIE,
                    token.expose(),
                    SESSION_TTL.num_seconds(),
                    tls,
                ),
            );
            headers.append(header::SET_COOKIE, cookie(SIGN_IN_COOKIE, "", 0, tls));
            response
        }
        Err(SignInRejection::InvalidLogin(_)) => (
            StatusCode::UNAUTHORIZED,
            sign_in_page(
                &secret,
                Some(&next),
                email,
                Some("Wrong email or password."),
            ),
        )
            .into_response(),
        // A lapsed subscription, an inactive organization, a database
        // that failed: pages of their own.
        Err(other) => other.into_response(),
    }
}

/// Ends the session and removes its cookie. Served outside the tenancy
/// layer, so that a member refused by it (a lapsed subscription, a
/// deactivated organization) can still sign out; the form's CSRF token is
/// keyed by the cookie's session all the same.
pub(super) async fn sign_out<DB: Store>(
    State(api): State<Api<DB>>,
    headers: HeaderMap,
    _: Form,
) -> Response {
    let token = cookie_value(&headers, SESSION_COOKIE).unwrap_or("");
    if let Err(error) = tenancy_access::revoke_session(&api.pool, token, chrono::Utc::now()).await {
        // The cookie goes anyway: the browser is signed out either way.
        tracing::warn!(%error, "a session could not be revoked at sign-out");
    }
    let mut response = see_other("/sign-in");
    response.headers_mut().append(
        header::SET_COOKIE,
        cookie(SESSION_COOKIE, "", 0, over_tls(&headers)),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_destinations() {
        assert_eq!(destination(Some("/batches/4")), "/batches/4");
        for away in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "/caf\u{e9}",
            "",
        ] {
            assert_eq!(destination(Some(away)), "/", "{away}");
        }
        assert_eq!(destination(None), "/");
    }

    #[test]
    fn cookies_are_http_only_and_lax() {
        let set = cookie("a", "b", 60, false);
        let set = set.to_str().expect("ascii");
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax") && !set.contains("Secure")
        );
        assert!(
            cookie("a", "b", 60, true)
                .to_str()
                .expect("ascii")
                .ends_with("; Secure")
        );
    }
}
