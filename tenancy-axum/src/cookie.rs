//! Sessions in a cookie, for server-rendered pages, and the CSRF tokens
//! their forms need.
//!
//! A browser sends a site's cookies with every request to it, including
//! the ones another site's page makes it send (a form posted from
//! elsewhere): a cookie proves who the browser is, not that the request
//! came from one of the app's own pages. So every form that changes
//! something carries a CSRF token, which a page of the app's wrote into it
//! and another site cannot read. [`csrf_token`] derives it from the
//! session's own secret (HMAC-SHA-256 keyed by it): nothing to store, a
//! new one with every session, and nothing to learn from it about the
//! session. Sign-in forms, before any session, are keyed by a random
//! secret the app keeps in a cookie of its own for the purpose.
//!
//! `SameSite=Lax` cookies (which browsers no longer send on another
//! site's `POST`) are a second wall, not a replacement: older browsers
//! ignore the attribute, and a sibling subdomain counts as the same site.

use std::borrow::Cow;

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use axum::http::request::Parts;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tenancy_access::Credential;

use crate::authn::Authenticator;
use crate::rejection::InvalidCredentials;

/// The longest session token a cookie may carry; tokens of
/// `tenancy_access::issue_session` are far shorter.
const MAX_TOKEN: usize = 256;

/// Session tokens sent in a cookie, as issued by
/// `tenancy_access::issue_session` (stored hashed, found by hash): the
/// [`Authenticator`] of server-rendered pages.
///
/// ```
/// use tenancy_axum::{SessionCookie, TenancyLayer};
///
/// fn pages_layer(pool: sqlx::SqlitePool) -> TenancyLayer<sqlx::Sqlite, SessionCookie> {
///     TenancyLayer::new(pool).with_authenticator(SessionCookie::new("session"))
/// }
/// ```
///
/// Set the cookie `HttpOnly` (scripts cannot read it), `SameSite=Lax`,
/// `Path=/` and, behind TLS, `Secure`.
#[derive(Clone, Debug)]
pub struct SessionCookie {
    name: Cow<'static, str>,
}

impl SessionCookie {
    /// Reads the session token from the cookie `name`.
    #[must_use]
    pub const fn new(name: &'static str) -> Self {
        Self {
            name: Cow::Borrowed(name),
        }
    }

    /// The cookie's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The cookie's value in `headers`, if the request carries it.
    #[must_use]
    pub fn value<'h>(&self, headers: &'h HeaderMap) -> Option<&'h str> {
        cookie_value(headers, &self.name)
    }
}

impl Authenticator for SessionCookie {
    async fn authenticate(&self, parts: &Parts) -> Result<Option<Credential>, InvalidCredentials> {
        match self.value(&parts.headers) {
            None | Some("") => Ok(None),
            Some(token) if token.len() > MAX_TOKEN => Err(InvalidCredentials),
            Some(token) => Ok(Some(Credential::Token(token.to_owned()))),
        }
    }
}

/// The value of the cookie `name` in `headers`: the first one, over all
/// `Cookie` headers (HTTP/2 may send several), or `None`.
#[must_use]
pub fn cookie_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim().trim_matches('"'))
}

fn mac(secret: &str) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(b"tenancy csrf token v1");
    mac
}

/// The CSRF token of forms shown to the holder of `secret` (the session
/// token, or before sign-in a random value kept in a cookie): 64 hex
/// digits, the same for as long as `secret` is.
#[must_use]
pub fn csrf_token(secret: &str) -> String {
    hex::encode(mac(secret).finalize().into_bytes())
}

/// Whether `presented` (a form's CSRF field) is the token of `secret`,
/// compared in constant time.
#[must_use]
pub fn csrf_matches(secret: &str, presented: &str) -> bool {
    if secret.is_empty() {
        return false;
    }
    let Ok(bytes) = hex::decode(presented.trim()) else {
        return false;
    };
    mac(secret).verify_slice(&bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn the_cookie_is_found_among_others_and_over_headers() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("theme=dark; other=1"));
        headers.append(COOKIE, HeaderValue::from_static("session=abc; session=def"));
        assert_eq!(cookie_value(&headers, "session"), Some("abc"));
        assert_eq!(cookie_value(&headers, "theme"), Some("dark"));
        assert_eq!(cookie_value(&headers, "sess"), None);
        assert_eq!(cookie_value(&HeaderMap::new(), "session"), None);
    }

    #[test]
    fn a_token_matches_its_secret_only() {
        let token = csrf_token("secret-one");
        assert_eq!(token.len(), 64);
        assert_eq!(token, csrf_token("secret-one"));
        assert!(csrf_matches("secret-one", &token));
        assert!(!csrf_matches("secret-two", &token));
        assert!(!csrf_matches("secret-one", &token[..62]));
        assert!(!csrf_matches("secret-one", "not hex"));
        assert!(!csrf_matches("secret-one", ""));
        assert!(!csrf_matches("", &csrf_token("")));
    }
}
