//! `Idempotency-Key`: a `POST` that creates or moves stock, sent again
//! with the same key, answers the first response and changes nothing
//! more; the same key with another request is refused.
//!
//! The key is reserved (a row of the organization's, unique per key)
//! before the work starts, and the response is kept when it ends. The
//! work runs in its own task, so that a client that disconnects or a
//! request that times out does not cancel it halfway between its effect
//! and its record: a retry then finds either the response or the work
//! still running (`409 request_in_progress`, with `Retry-After`). A
//! refusal (any 4xx or 5xx) frees the key, since nothing was written: the
//! client may fix the request and send it again under the same key. Keys
//! are kept for [`KEPT_FOR`]; a key older than that starts anew.
//!
//! What is not covered: a process that stops between the work's commit
//! and the record of its response leaves the key reserved with no
//! response; a retry is refused with `409 request_outcome_unknown` after
//! [`ABANDONED_AFTER`], and the client must check before retrying under a
//! new key.

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tenancy_axum::Problem;
use tenancy_core::{Scope, Scoped};
use utoipa::IntoParams;

use super::problem::{ApiError, ApiResult};
use crate::domain::Store;
use crate::domain::models::{IdempotencyRecord, NewIdempotencyRecord};

/// The request header.
pub(crate) const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// The response header set on a replayed response.
pub(crate) const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// How long a key answers its first response.
pub(crate) const KEPT_FOR: chrono::Duration = chrono::Duration::hours(24);

/// How long a key may stay reserved without a response before the
/// request is taken as lost.
pub(crate) const ABANDONED_AFTER: chrono::Duration = chrono::Duration::minutes(10);

/// The request's `Idempotency-Key`, if it sent one: 1 to 255 visible
/// ASCII characters.
#[derive(Debug, Clone, IntoParams)]
#[into_params(parameter_in = Header)]
pub(crate) struct IdempotencyKey {
    /// A key of the client's choosing (a UUID, say), unique per request it
    /// means: a retry with the same key answers the first response.
    #[param(rename = "Idempotency-Key", value_type = Option<String>, max_length = 255)]
    key: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(IDEMPOTENCY_KEY) else {
            return Ok(Self { key: None });
        };
        let key = value
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|key| (1..=255).contains(&key.len()))
            .ok_or_else(|| {
                super::problem::malformed(
                    "the Idempotency-Key header must be 1 to 255 visible ASCII characters",
                )
            })?;
        Ok(Self {
            key: Some(key.to_owned()),
        })
    }
}

impl IdempotencyKey {
    /// Runs `work` once per key: the first request runs it and keeps its
    /// response, a retry with the same `request` answers that response.
    /// Without a key, runs it.
    ///
    /// `request` is what the request asked (its route and parsed body):
    /// the same key with another is refused with `422 idempotency_key_reused`.
    ///
    /// # Errors
    ///
    /// The refusal of `work`; `409 request_in_progress` while the first
    /// request runs; `409 request_outcome_unknown` for a first request
    /// lost without a response; the database's failures.
    pub(crate) async fn run<DB, T, F>(
        self,
        pool: &sqlx::Pool<DB>,
        scope: &Scope,
        request: serde_json::Value,
        work: F,
    ) -> ApiResult<Response>
    where
        DB: Store,
        T: Serialize + Send + 'static,
        F: Future<Output = ApiResult<(StatusCode, Json<T>)>> + Send + 'static,
    {
        let Some(key) = self.key else {
            return run_to_end(work).await.map(IntoResponse::into_response);
        };
        let fingerprint = hex::encode(Sha256::digest(request.to_string().as_bytes()));
        let now = Utc::now();
        let reserved = match reserve(pool, scope, &key, &fingerprint, now).await? {
            Reservation::Reserved(record) => record,
            Reservation::Answered(response) => return Ok(response),
        };
        let pool = pool.clone();
        let scope = scope.clone();
        // The work and its record run to their end in their own task, even
        // when this request is dropped.
        let task = tokio::spawn(async move {
            match work.await {
                Ok((status, Json(body))) => {
                    let body = serde_json::to_string(&body).map_err(|error| {
                        tracing::error!(%error, "a response could not be serialized");
                        ApiError::from(Problem::internal())
                    })?;
                    IdempotencyRecord::update(&scope, reserved)
                        .set(IdempotencyRecord::STATUS, Some(i64::from(status.as_u16())))
                        .set(IdempotencyRecord::BODY, Some(body.clone()))
                        .execute(&pool)
                        .await?;
                    Ok(json_response(status, body))
                }
                Err(refusal) => {
                    if let Err(error) = IdempotencyRecord::delete(&scope, reserved)
                        .execute(&pool)
                        .await
                    {
                        tracing::warn!(%error, "an idempotency key could not be freed");
                    }
                    Err(refusal)
                }
            }
        });
        joined(task.await)
    }
}

/// Runs `work` in its own task, so that it is not cancelled halfway.
async fn run_to_end<T, F>(work: F) -> ApiResult<(StatusCode, Json<T>)>
where
    T: Send + 'static,
    F: Future<Output = ApiResult<(StatusCode, Json<T>)>> + Send + 'static,
{
    joined(tokio::spawn(work).await)
}

fn joined<T>(result: Result<ApiResult<T>, tokio::task::JoinError>) -> ApiResult<T> {
    result.unwrap_or_else(|error| {
        tracing::error!(%error, "an idempotent request's task failed");
        Err(Problem::internal().into())
    })
}

enum Reservation {
    /// The key is this request's: run the work.
    Reserved(tenancy_core::Id<IdempotencyRecord>),
    /// The key answered already.
    Answered(Response),
}

async fn reserve<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> ApiResult<Reservation> {
    // Twice at most: a key past its time is deleted, then reserved anew.
    for _ in 0..2 {
        let new = NewIdempotencyRecord {
            request_key: key.to_owned(),
            fingerprint: fingerprint.to_owned(),
            status: None,
            body: None,
            created_at: now,
        };
        match IdempotencyRecord::insert(scope, new).execute(pool).await {
            Ok(record) => return Ok(Reservation::Reserved(record.id)),
            Err(tenancy_core::Error::Conflict { .. }) => {}
            Err(error) => return Err(error.into()),
        }
        let Some(first) = IdempotencyRecord::select(scope)
            .filter(IdempotencyRecord::REQUEST_KEY.eq(key.to_owned()))
            .fetch_optional(pool)
            .await?
        else {
            // Freed meanwhile: reserve it again.
            continue;
        };
        if first.created_at + KEPT_FOR < now {
            IdempotencyRecord::delete(scope, first.id)
                .execute(pool)
                .await
                .or_else(|error| match error {
                    tenancy_core::Error::NotFound { .. } => Ok(()),
                    error => Err(error),
                })?;
            continue;
        }
        if first.fingerprint != fingerprint {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "Idempotency key reused",
            )
            .with_detail("this Idempotency-Key was sent with another request; use a new key")
            .into());
        }
        return match (first.status, first.body) {
            (Some(status), Some(body)) => {
                let status = u16::try_from(status)
                    .ok()
                    .and_then(|status| StatusCode::from_u16(status).ok())
                    .unwrap_or(StatusCode::OK);
                let mut response = json_response(status, body);
                response
                    .headers_mut()
                    .insert(REPLAYED, HeaderValue::from_static("true"));
                Ok(Reservation::Answered(response))
            }
            _ if first.created_at + ABANDONED_AFTER < now => Err(Problem::new(
                StatusCode::CONFLICT,
                "request_outcome_unknown",
                "Outcome unknown",
            )
            .with_detail(
                "the first request with this Idempotency-Key was lost without an answer; \
                 check whether it took effect, then retry with a new key",
            )
            .into()),
            _ => Err(Problem::new(
                StatusCode::CONFLICT,
                "request_in_progress",
                "Request in progress",
            )
            .with_detail("the first request with this Idempotency-Key is still running")
            .with_retry_after(1)
            .into()),
        };
    }
    Err(Problem::new(
        StatusCode::CONFLICT,
        "request_in_progress",
        "Request in progress",
    )
    .with_retry_after(1)
    .into())
}

fn json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}
