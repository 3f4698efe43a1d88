//! Traceability, the recall report: from a lot forward to every batch,
//! good and sale that used it; from a batch or goods back to every lot.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use tenancy_axum::Require;
use tenancy_core::{Id, Scope};

use super::Api;
use super::openapi::{ById, Reads};
use super::problem::{ApiResult, PathOf};
use crate::domain::Store;
use crate::domain::models::{Batch, Lot, ProductStock};
use crate::domain::permissions::Trace;
use crate::domain::trace::{self, Backward, Forward};

pub(super) fn routes<DB: Store>() -> Router<Api<DB>> {
    Router::new()
        .route("/trace/lots/{id}", get(lot::<DB>))
        .route("/trace/batches/{id}", get(batch::<DB>))
        .route("/trace/product-inventory/{id}", get(goods::<DB>))
}

/// Where one lot went: the batches that took from it, the goods they
/// made, the sales of those goods.
#[utoipa::path(get, path = "/api/v1/trace/lots/{id}", tag = "trace",
    params(("id" = i64, Path, description = "The lot's id")),
    responses((status = 200, description = "The lot, traced forward", body = Forward), Reads, ById))]
async fn lot<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<Trace>,
    PathOf(id): PathOf<Id<Lot>>,
) -> ApiResult<Json<Forward>> {
    Ok(Json(trace::forward(&api.pool, &scope, id).await?))
}

/// Where one batch came from (every lot, how much, at what cost) and what
/// it made.
#[utoipa::path(get, path = "/api/v1/trace/batches/{id}", tag = "trace",
    params(("id" = i64, Path, description = "The batch's id")),
    responses((status = 200, description = "The batch, traced back", body = Backward), Reads, ById))]
async fn batch<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<Trace>,
    PathOf(id): PathOf<Id<Batch>>,
) -> ApiResult<Json<Backward>> {
    Ok(Json(trace::batch_back(&api.pool, &scope, id).await?))
}

/// Where one batch's goods came from: their batch, traced back.
#[utoipa::path(get, path = "/api/v1/trace/product-inventory/{id}", tag = "trace",
    params(("id" = i64, Path, description = "The goods' id (a product inventory row)")),
    responses((status = 200, description = "The goods' batch, traced back", body = Backward), Reads, ById))]
async fn goods<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<Trace>,
    PathOf(id): PathOf<Id<ProductStock>>,
) -> ApiResult<Json<Backward>> {
    Ok(Json(trace::product_back(&api.pool, &scope, id).await?))
}
