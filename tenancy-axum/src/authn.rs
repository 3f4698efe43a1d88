//! Authentication: turning a request into the credential of its principal.
//!
//! How a request proves who sent it is the app's choice: the built-in
//! [`BearerToken`] reads a session token from `Authorization: Bearer ..`;
//! any other scheme (a verified JWT, a client certificate) is an
//! [`Authenticator`], and a closure is one.

use std::future::Future;

use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use tenancy_access::Credential;

use crate::rejection::InvalidCredentials;

/// Turns a request into the credential of its principal.
///
/// `Ok(None)` means the request carries no credential (an anonymous
/// request, which handlers that need a principal refuse with 401);
/// `Err` means it carries one that is malformed.
///
/// A closure that clones what it needs from the request is an
/// authenticator:
///
/// ```
/// use axum::http::request::Parts;
/// use tenancy_axum::Authenticator;
/// use tenancy_access::Credential;
/// use tenancy_core::UserId;
///
/// /// Behind a gateway that verifies a JWT and forwards its subject in
/// /// `x-verified-user`, *after removing any such header the client sent*:
/// /// trusting a header a client can set hands out every account.
/// fn behind_the_gateway() -> impl Authenticator {
///     |parts: &Parts| {
///         let user = parts.headers.get("x-verified-user").and_then(|v| v.to_str().ok()?.parse().ok());
///         async move { Ok(user.map(|id: i64| Credential::User(UserId::new(id)))) }
///     }
/// }
/// ```
pub trait Authenticator: Send + Sync + 'static {
    /// The request's credential, if it carries one.
    fn authenticate(
        &self,
        parts: &Parts,
    ) -> impl Future<Output = Result<Option<Credential>, InvalidCredentials>> + Send;
}

impl<F, Fut> Authenticator for F
where
    F: Fn(&Parts) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<Credential>, InvalidCredentials>> + Send,
{
    fn authenticate(
        &self,
        parts: &Parts,
    ) -> impl Future<Output = Result<Option<Credential>, InvalidCredentials>> + Send {
        self(parts)
    }
}

/// Session tokens sent as `Authorization: Bearer <token>`, as issued by
/// `tenancy_access::issue_session` (stored hashed, found by hash).
#[derive(Clone, Copy, Debug, Default)]
pub struct BearerToken;

impl Authenticator for BearerToken {
    async fn authenticate(&self, parts: &Parts) -> Result<Option<Credential>, InvalidCredentials> {
        let Some(value) = parts.headers.get(AUTHORIZATION) else {
            return Ok(None);
        };
        let value = value.to_str().map_err(|_| InvalidCredentials)?;
        let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
        // Another scheme (Basic, say) is not ours to judge: no credential.
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Ok(None);
        }
        let token = token.trim();
        if token.is_empty() || token.len() > 256 {
            return Err(InvalidCredentials);
        }
        Ok(Some(Credential::Token(token.to_owned())))
    }
}
