//! The organization's audit log, for its owner: sign-ins, role and member
//! changes, developers entering, billing; newest first, a cursor per page.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use tenancy_access::{AuditCursor, AuditPage, AuditQuery};
use tenancy_core::{Scope, UserId};
use utoipa::IntoParams;

use super::Api;
use super::openapi::{Reads, Writes};
use super::problem::{ApiResult, QueryOf};
use crate::domain::Store;

pub(super) fn routes<DB: Store>() -> Router<Api<DB>> {
    Router::new().route("/audit", get(audit_log::<DB>))
}

/// Which events to list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditFilter {
    /// Only events of this name (`login.succeeded`, `role.assigned`).
    event: Option<String>,
    /// Only events that happened to this user.
    #[param(value_type = Option<i64>)]
    user_id: Option<UserId>,
    /// Only events this user did.
    #[param(value_type = Option<i64>)]
    actor_id: Option<UserId>,
    /// The page after the one whose `next` this is.
    #[param(value_type = Option<i64>)]
    after: Option<AuditCursor>,
    /// Events per page, 1 to 500; 50 when left out.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// A page of the audit log, newest first: for the organization's owner
/// (others get `403 forbidden`). Pass `next` back as `after` for the
/// following page; new events never shift the pages already read.
#[utoipa::path(get, path = "/api/v1/audit", tag = "organization", params(AuditFilter),
    responses((status = 200, description = "A page of events", body = AuditPage), Reads, Writes))]
async fn audit_log<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    QueryOf(filter): QueryOf<AuditFilter>,
) -> ApiResult<Json<AuditPage>> {
    let mut query = AuditQuery::new().limit(filter.limit.unwrap_or(50).max(1));
    if let Some(event) = filter.event {
        query = query.event(event);
    }
    if let Some(user) = filter.user_id {
        query = query.user(user);
    }
    if let Some(actor) = filter.actor_id {
        query = query.actor(actor);
    }
    if let Some(after) = filter.after {
        query = query.after(after);
    }
    Ok(Json(
        tenancy_access::audit_log(&api.pool, &scope, &query).await?,
    ))
}
