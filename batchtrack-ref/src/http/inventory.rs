//! Lots: receiving, adjusting, listing, their history; and the stock
//! lists a day starts with (low, expired).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tenancy_axum::Require;
use tenancy_core::{Id, Order, Scope, Scoped};
use utoipa::IntoParams;

use super::Api;
use super::idempotency::IdempotencyKey;
use super::openapi::{ById, Reads, Writes};
use super::paging::{Page, Paging, page};
use super::problem::{ApiResult, Body, PathOf, QueryOf};
use crate::domain::Store;
use crate::domain::inventory::{self, AdjustmentRequest, LowStock, Receipt};
use crate::domain::models::{Adjustment, Batch, Ingredient, Lot, Movement, MovementKind};
use crate::domain::permissions::{AdjustInventory, EditInventory, ViewInventory};

pub(super) fn routes<DB: Store>() -> Router<Api<DB>> {
    Router::new()
        .route("/lots", get(list_lots::<DB>).post(receive::<DB>))
        .route("/lots/{id}", get(lot::<DB>))
        .route("/lots/{id}/history", get(history::<DB>))
        .route("/history", get(movements::<DB>))
        .route("/adjustments", post(adjust::<DB>))
        .route("/stock/low", get(low::<DB>))
        .route("/stock/expired", get(expired::<DB>))
}

/// Which lots to list.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct LotQuery {
    /// Only lots of this ingredient.
    #[param(value_type = Option<i64>)]
    pub ingredient_id: Option<Id<Ingredient>>,
    /// Only lots that still hold stock.
    pub in_stock: Option<bool>,
    /// Rows per page, 1 to 200; 50 when left out.
    pub limit: Option<u64>,
    /// Rows to skip.
    pub offset: Option<u64>,
}

/// The organization's lots, oldest received first.
#[utoipa::path(get, path = "/api/v1/lots", tag = "inventory", params(LotQuery),
    responses((status = 200, description = "A page of lots", body = Page<Lot>), Reads))]
async fn list_lots<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ViewInventory>,
    QueryOf(query): QueryOf<LotQuery>,
) -> ApiResult<Json<Page<Lot>>> {
    let paging = Paging {
        limit: query.limit,
        offset: query.offset,
    };
    let select = || {
        Lot::select(&scope)
            .apply_if(query.ingredient_id, |select, id| {
                select.filter(Lot::INGREDIENT_ID.eq(id))
            })
            .apply_if(query.in_stock.filter(|only| *only), |select, _| {
                select.filter(Lot::QUANTITY.gt(tenancy_core::Amount::ZERO))
            })
            .order_by(Lot::RECEIVED_ON, Order::Asc)
    };
    Ok(Json(page(&api.pool, paging, select).await?))
}

/// Receives a lot, in any unit that converts to the ingredient's stock
/// unit. Send an `Idempotency-Key` to retry safely.
#[utoipa::path(post, path = "/api/v1/lots", tag = "inventory", request_body = Receipt,
    params(IdempotencyKey),
    responses((status = 201, description = "Received", body = Lot), Reads, Writes))]
async fn receive<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<EditInventory>,
    key: IdempotencyKey,
    Body(receipt): Body<Receipt>,
) -> ApiResult<Response> {
    let fingerprint = serde_json::json!(["receive", &receipt]);
    let (work, work_scope) = (api.clone(), scope.clone());
    key.run(&api.pool, &scope, fingerprint, async move {
        let lot = inventory::receive(&work.pool, &work_scope, &work.units, receipt).await?;
        Ok((StatusCode::CREATED, Json(lot)))
    })
    .await
}

/// One lot.
#[utoipa::path(get, path = "/api/v1/lots/{id}", tag = "inventory",
    params(("id" = i64, Path, description = "The lot's id")),
    responses((status = 200, description = "The lot", body = Lot), Reads, ById))]
async fn lot<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ViewInventory>,
    PathOf(id): PathOf<Id<Lot>>,
) -> ApiResult<Json<Lot>> {
    Ok(Json(Lot::find(&scope, id).fetch_one(&api.pool).await?))
}

/// Every movement of one lot, oldest first: they add up to what it holds.
#[utoipa::path(get, path = "/api/v1/lots/{id}/history", tag = "inventory",
    params(("id" = i64, Path, description = "The lot's id")),
    responses((status = 200, description = "The movements", body = Vec<Movement>), Reads, ById))]
async fn history<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ViewInventory>,
    PathOf(id): PathOf<Id<Lot>>,
) -> ApiResult<Json<Vec<Movement>>> {
    Ok(Json(inventory::lot_history(&api.pool, &scope, id).await?))
}

/// Which movements to list.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct HistoryQuery {
    /// Only movements of this ingredient's lots.
    #[param(value_type = Option<i64>)]
    pub ingredient_id: Option<Id<Ingredient>>,
    /// Only movements of this kind.
    pub kind: Option<MovementKind>,
    /// Only movements a batch caused (its uses and returns).
    #[param(value_type = Option<i64>)]
    pub batch_id: Option<Id<Batch>>,
    /// Rows per page, 1 to 200; 50 when left out.
    pub limit: Option<u64>,
    /// Rows to skip.
    pub offset: Option<u64>,
}

/// The organization's stock movements, newest first: receipts, batch uses
/// and returns, adjustments.
#[utoipa::path(get, path = "/api/v1/history", tag = "inventory", params(HistoryQuery),
    responses((status = 200, description = "A page of movements", body = Page<Movement>), Reads))]
async fn movements<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ViewInventory>,
    QueryOf(query): QueryOf<HistoryQuery>,
) -> ApiResult<Json<Page<Movement>>> {
    let paging = Paging {
        limit: query.limit,
        offset: query.offset,
    };
    let select = || {
        Movement::select(&scope)
            .apply_if(query.ingredient_id, |select, id| {
                select.filter(Movement::INGREDIENT_ID.eq(id))
            })
            .apply_if(query.kind, |select, kind| {
                select.filter(Movement::KIND.eq(kind))
            })
            .apply_if(query.batch_id, |select, batch| {
                select.filter(Movement::BATCH_ID.eq(batch))
            })
            .order_by(Movement::ID, Order::Desc)
    };
    Ok(Json(page(&api.pool, paging, select).await?))
}

/// Adjusts a lot by hand (spoilage, a recount, a correction), approved
/// by the signed-in user. Send an `Idempotency-Key` to retry safely.
#[utoipa::path(post, path = "/api/v1/adjustments", tag = "inventory",
    request_body = AdjustmentRequest, params(IdempotencyKey),
    responses((status = 201, description = "Adjusted", body = Adjustment), Reads, Writes))]
async fn adjust<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<AdjustInventory>,
    key: IdempotencyKey,
    Body(request): Body<AdjustmentRequest>,
) -> ApiResult<Response> {
    let fingerprint = serde_json::json!(["adjust", &request]);
    let (work, work_scope) = (api.clone(), scope.clone());
    key.run(&api.pool, &scope, fingerprint, async move {
        let adjustment = inventory::adjust(&work.pool, &work_scope, request).await?;
        Ok((StatusCode::CREATED, Json(adjustment)))
    })
    .await
}

/// The active ingredients whose usable stock is below their threshold.
#[utoipa::path(get, path = "/api/v1/stock/low", tag = "inventory",
    responses((status = 200, description = "Low ingredients, by name", body = Vec<LowStock>), Reads))]
async fn low<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ViewInventory>,
) -> ApiResult<Json<Vec<LowStock>>> {
    let today = chrono::Utc::now().date_naive();
    Ok(Json(inventory::low_stock(&api.pool, &scope, today).await?))
}

/// The lots that expired and still hold stock: never consumed by batches.
#[utoipa::path(get, path = "/api/v1/stock/expired", tag = "inventory",
    responses((status = 200, description = "Expired lots, soonest first", body = Vec<Lot>), Reads))]
async fn expired<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ViewInventory>,
) -> ApiResult<Json<Vec<Lot>>> {
    let today = chrono::Utc::now().date_naive();
    Ok(Json(
        inventory::expired_lots(&api.pool, &scope, today).await?,
    ))
}
