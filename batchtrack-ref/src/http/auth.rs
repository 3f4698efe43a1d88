//! Signing in and out with a password, and who the session is.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use tenancy_access::{PasswordAttempt, RequestContext};
use tenancy_axum::{Principal, SignInRejection};
use tenancy_core::{OrgId, UserId};
use utoipa::ToSchema;

use super::problem::{ApiResult, Body};
use super::{Api, SESSION_TTL};
use crate::domain::Store;

pub(super) fn routes<DB: Store>() -> Router<Api<DB>> {
    Router::new()
        .route("/auth/login", post(login::<DB>))
        .route("/auth/logout", post(logout::<DB>))
        .route("/me", get(me))
}

/// A password sign-in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Login {
    /// The account's email.
    #[schema(example = "owner@acme.example")]
    pub email: String,
    /// Its password.
    #[schema(example = "batchtrack-demo")]
    pub password: String,
    /// The organization to act for; the first one the user belongs to
    /// when left out.
    #[serde(default)]
    pub organization_id: Option<OrgId>,
}

/// A session.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Session {
    /// The bearer token: send it as `Authorization: Bearer <token>`.
    pub token: String,
    /// When it stops being valid.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Where a sign-in attempt comes from: the peer's address, by which
/// failed attempts are counted (`unknown` when served without one, as in
/// tests driving the router directly).
struct Source(String);

impl<S: Send + Sync> FromRequestParts<S> for Source {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(|| "unknown".to_owned(), |info| info.0.ip().to_string()),
        ))
    }
}

/// Signs in with an email and a password.
///
/// Every wrong email or password answers the same `401 invalid_login`;
/// repeated failures from one address slow that address down on that
/// account.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body = Login,
    security(()),
    responses(
        (status = 200, description = "Signed in", body = Session),
        (status = 401, description = "Wrong email or password (`invalid_login`)", body = tenancy_core::http::Problem, content_type = "application/problem+json"),
        (status = 402, description = "Billing lapsed and the user is not the owner", body = tenancy_core::http::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of the organization named, or it is inactive", body = tenancy_core::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A malformed body", body = tenancy_core::http::Problem, content_type = "application/problem+json"),
    )
)]
async fn login<DB: Store>(
    State(api): State<Api<DB>>,
    Source(source): Source,
    Body(login): Body<Login>,
) -> Result<Json<Session>, SignInRejection> {
    let now = chrono::Utc::now();
    let attempt = PasswordAttempt::new(&login.email, &login.password, &source);
    let token = tenancy_access::sign_in_with_password(
        &api.pool,
        &api.passwords,
        attempt,
        login.organization_id,
        &api.policy,
        SESSION_TTL,
        now,
    )
    .await?;
    Ok(Json(Session {
        token: token.expose().to_owned(),
        expires_at: now + SESSION_TTL,
    }))
}

/// Ends the session of the bearer token sent.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    responses(
        (status = 204, description = "Signed out; the token no longer works"),
        (status = 401, description = "No valid token was sent", body = tenancy_core::http::Problem, content_type = "application/problem+json"),
    )
)]
async fn logout<DB: Store>(
    State(api): State<Api<DB>>,
    _: Principal,
    headers: axum::http::HeaderMap,
) -> ApiResult<StatusCode> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .map(|(_, token)| token.trim().to_owned())
        .unwrap_or_default();
    tenancy_access::revoke_session(&api.pool, &token, chrono::Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who the session is, where it acts and what it may do there.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Me {
    /// The user.
    pub user_id: UserId,
    /// Whether the user is one of the app's developers.
    pub is_developer: bool,
    /// The organization this request acts for.
    pub organization_id: Option<OrgId>,
    /// The organizations the user is an active member of.
    pub memberships: Vec<OrgId>,
    /// Whether the user owns the organization.
    pub is_owner: bool,
    /// The permission keys the user holds there, sorted.
    pub permissions: Vec<String>,
}

/// The signed-in user and their permissions in the organization.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "auth",
    responses(
        (status = 200, description = "The session's user", body = Me),
        (status = 401, description = "Nobody is signed in", body = tenancy_core::http::Problem, content_type = "application/problem+json"),
    )
)]
async fn me(principal: Principal, context: Option<Extension<Arc<RequestContext>>>) -> Json<Me> {
    let (organization_id, is_owner, mut permissions) = match context {
        Some(Extension(context)) => (
            context.org,
            context.owner == Some(principal.user),
            context.permissions.keys().map(str::to_owned).collect(),
        ),
        None => (None, false, Vec::new()),
    };
    permissions.sort();
    Json(Me {
        user_id: principal.user,
        is_developer: principal.is_developer,
        organization_id,
        memberships: principal.memberships,
        is_owner,
        permissions,
    })
}
