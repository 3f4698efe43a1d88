//! Batches: start one (taking its ingredients from the lots, first in
//! first out), finish it (making product inventory) or cancel it (giving
//! everything back).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tenancy_axum::Require;
use tenancy_core::{Amount, Id, Order, Scope, Scoped};
use utoipa::{IntoParams, ToSchema};

use super::Api;
use super::idempotency::IdempotencyKey;
use super::openapi::{ById, Reads, Writes};
use super::paging::{Page, Paging, page};
use super::problem::{ApiResult, Body, PathOf, QueryOf};
use crate::domain::Store;
use crate::domain::batches::{self, Finish, Started};
use crate::domain::models::{Batch, BatchIngredient, BatchStatus, ProductStock, Recipe};
use crate::domain::permissions::{RunBatches, ViewBatches};

pub(super) fn routes<DB: Store>() -> Router<Api<DB>> {
    Router::new()
        .route("/batches", get(list::<DB>).post(start::<DB>))
        .route("/batches/{id}", get(batch::<DB>))
        .route("/batches/{id}/finish", post(finish::<DB>))
        .route("/batches/{id}/cancel", post(cancel::<DB>))
}

/// Which batches to list.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct BatchQuery {
    /// Only batches in this state.
    pub status: Option<BatchStatus>,
    /// Rows per page, 1 to 200; 50 when left out.
    pub limit: Option<u64>,
    /// Rows to skip.
    pub offset: Option<u64>,
}

/// The organization's batches, newest first.
#[utoipa::path(get, path = "/api/v1/batches", tag = "batches", params(BatchQuery),
    responses((status = 200, description = "A page of batches", body = Page<Batch>), Reads))]
async fn list<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ViewBatches>,
    QueryOf(query): QueryOf<BatchQuery>,
) -> ApiResult<Json<Page<Batch>>> {
    let paging = Paging {
        limit: query.limit,
        offset: query.offset,
    };
    let select = || {
        Batch::select(&scope)
            .apply_if(query.status, |select, status| {
                select.filter(Batch::STATUS.eq(status))
            })
            .order_by(Batch::ID, Order::Desc)
    };
    Ok(Json(page(&api.pool, paging, select).await?))
}

/// A batch to start.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StartBatch {
    /// The recipe to make.
    pub recipe_id: Id<Recipe>,
    /// Its scale, more than zero; 1 when left out.
    #[serde(default)]
    pub scale: Option<Amount>,
}

/// Starts a batch: takes every ingredient from its usable lots, or
/// nothing when any is short (`409 short_stock`, listing them). Send an
/// `Idempotency-Key` to retry safely.
#[utoipa::path(post, path = "/api/v1/batches", tag = "batches", request_body = StartBatch,
    params(IdempotencyKey),
    responses(
        (status = 201, description = "Started, with what each lot gave", body = Started),
        (status = 409, description = "Short of stock (`short_stock`, with `shortfalls`), or the key's first request still runs", body = tenancy_core::http::Problem, content_type = "application/problem+json"),
        Reads, Writes))]
async fn start<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<RunBatches>,
    key: IdempotencyKey,
    Body(body): Body<StartBatch>,
) -> ApiResult<Response> {
    let fingerprint = serde_json::json!(["start batch", &body]);
    let (work, work_scope) = (api.clone(), scope.clone());
    key.run(&api.pool, &scope, fingerprint, async move {
        let today = chrono::Utc::now().date_naive();
        let scale = body.scale.unwrap_or(Amount::from_micros(1_000_000));
        let started = batches::start(
            &work.pool,
            &work_scope,
            &work.units,
            body.recipe_id,
            scale,
            today,
        )
        .await?;
        Ok((StatusCode::CREATED, Json(started)))
    })
    .await
}

/// A batch with what it took and what it made.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BatchDetail {
    /// The batch.
    pub batch: Batch,
    /// What it took, one row per lot.
    pub used: Vec<BatchIngredient>,
    /// What it made, once finished.
    pub products: Vec<ProductStock>,
}

/// One batch.
#[utoipa::path(get, path = "/api/v1/batches/{id}", tag = "batches",
    params(("id" = i64, Path, description = "The batch's id")),
    responses((status = 200, description = "The batch", body = BatchDetail), Reads, ById))]
async fn batch<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ViewBatches>,
    PathOf(id): PathOf<Id<Batch>>,
) -> ApiResult<Json<BatchDetail>> {
    let batch = Batch::find(&scope, id).fetch_one(&api.pool).await?;
    let used = BatchIngredient::select(&scope)
        .filter(BatchIngredient::BATCH_ID.eq(id))
        .fetch_all(&api.pool)
        .await?;
    let products = ProductStock::select(&scope)
        .filter(ProductStock::BATCH_ID.eq(id))
        .fetch_all(&api.pool)
        .await?;
    Ok(Json(BatchDetail {
        batch,
        used,
        products,
    }))
}

/// Finishes a batch in progress: its goods, at its cost divided by the
/// yield.
#[utoipa::path(post, path = "/api/v1/batches/{id}/finish", tag = "batches", request_body = Finish,
    params(("id" = i64, Path, description = "The batch's id")),
    responses(
        (status = 201, description = "Finished: the goods made", body = ProductStock),
        (status = 409, description = "The batch is not in progress (`batch_not_in_progress`), or the code is used", body = tenancy_core::http::Problem, content_type = "application/problem+json"),
        Reads, ById, Writes))]
async fn finish<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<RunBatches>,
    PathOf(id): PathOf<Id<Batch>>,
    Body(body): Body<Finish>,
) -> ApiResult<(StatusCode, Json<ProductStock>)> {
    let today = chrono::Utc::now().date_naive();
    let made = batches::finish(&api.pool, &scope, id, body, today).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Cancels a batch in progress: every lot gets back what it gave.
#[utoipa::path(post, path = "/api/v1/batches/{id}/cancel", tag = "batches",
    params(("id" = i64, Path, description = "The batch's id")),
    responses(
        (status = 200, description = "Cancelled", body = Batch),
        (status = 409, description = "The batch is not in progress (`batch_not_in_progress`)", body = tenancy_core::http::Problem, content_type = "application/problem+json"),
        Reads, ById))]
async fn cancel<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<RunBatches>,
    PathOf(id): PathOf<Id<Batch>>,
) -> ApiResult<Json<Batch>> {
    Ok(Json(batches::cancel(&api.pool, &scope, id).await?))
}
