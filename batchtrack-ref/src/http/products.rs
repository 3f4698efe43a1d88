//! Products, their SKUs, the goods batches made, and sales.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tenancy_axum::Require;
use tenancy_core::{Amount, Id, Order, Scope, Scoped};
use utoipa::ToSchema;

use super::Api;
use super::idempotency::IdempotencyKey;
use super::openapi::{ById, Reads, Versioned, Writes};
use super::paging::{Page, Paging, page};
use super::problem::{ApiResult, Body, PathOf, QueryOf};
use super::versions::{IfMatch, tagged};
use crate::domain::Store;
use crate::domain::edits::{self, NamedEdit, SkuEdit};
use crate::domain::models::{Product, ProductStock, Sku};
use crate::domain::permissions::{EditProducts, RecordSales, ViewProducts};
use crate::domain::products::{self, Recorded, SaleRequest};

pub(super) fn routes<DB: Store>() -> Router<Api<DB>> {
    Router::new()
        .route("/products", get(list::<DB>).post(create::<DB>))
        .route(
            "/products/{id}",
            get(product::<DB>).patch(edit::<DB>).delete(delete::<DB>),
        )
        .route("/products/{id}/skus", post(create_sku::<DB>))
        .route("/skus", get(skus::<DB>))
        .route("/skus/{id}", get(sku::<DB>).patch(edit_sku::<DB>))
        .route("/skus/{id}/inventory", get(inventory::<DB>))
        .route("/sales", post(sell::<DB>))
}

/// The organization's active products, by name.
#[utoipa::path(get, path = "/api/v1/products", tag = "products", params(Paging),
    responses((status = 200, description = "A page of products", body = Page<Product>), Reads))]
async fn list<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ViewProducts>,
    QueryOf(paging): QueryOf<Paging>,
) -> ApiResult<Json<Page<Product>>> {
    let select = || Product::select(&scope).order_by(Product::NAME, Order::Asc);
    Ok(Json(page(&api.pool, paging, select).await?))
}

/// A new product.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewProductBody {
    /// Its name, unique in the organization.
    #[schema(example = "Lavender soap")]
    pub name: String,
    /// What it is.
    #[serde(default)]
    pub description: Option<String>,
}

/// Creates a product.
#[utoipa::path(post, path = "/api/v1/products", tag = "products", request_body = NewProductBody,
    responses((status = 201, description = "Created", body = Product), Reads, Writes))]
async fn create<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<EditProducts>,
    Body(body): Body<NewProductBody>,
) -> ApiResult<(StatusCode, Json<Product>)> {
    let product = products::create_product(&api.pool, &scope, &body.name, body.description).await?;
    Ok((StatusCode::CREATED, Json(product)))
}

/// One product.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "products",
    params(("id" = i64, Path, description = "The product's id")),
    responses((status = 200, description = "The product, its version as the ETag", body = Product), Reads, ById))]
async fn product<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ViewProducts>,
    PathOf(id): PathOf<Id<Product>>,
) -> ApiResult<Response> {
    Ok(tagged(
        Product::find(&scope, id)
            .include_inactive()
            .fetch_one(&api.pool)
            .await?,
    ))
}

/// Edits a product, at the version in `If-Match`.
#[utoipa::path(patch, path = "/api/v1/products/{id}", tag = "products", request_body = NamedEdit,
    params(("id" = i64, Path, description = "The product's id"), IfMatch),
    responses((status = 200, description = "Edited, its new version as the ETag", body = Product), Reads, ById, Writes, Versioned))]
async fn edit<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<EditProducts>,
    PathOf(id): PathOf<Id<Product>>,
    if_match: IfMatch,
    Body(edit): Body<NamedEdit>,
) -> ApiResult<Response> {
    let edited = edits::edit_product(&api.pool, &scope, id, if_match.version(), edit).await?;
    Ok(tagged(edited))
}

/// Deactivates a product and its SKUs.
#[utoipa::path(delete, path = "/api/v1/products/{id}", tag = "products",
    params(("id" = i64, Path, description = "The product's id")),
    responses((status = 204, description = "Deactivated"), Reads, ById))]
async fn delete<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<EditProducts>,
    PathOf(id): PathOf<Id<Product>>,
) -> ApiResult<StatusCode> {
    Product::delete(&scope, id).execute(&api.pool).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new SKU of a product.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewSkuBody {
    /// The code, unique in the organization.
    #[schema(example = "LAV-100")]
    pub sku: String,
    /// The variant in words.
    #[schema(example = "100 g bar")]
    pub name: String,
    /// The selling price per piece.
    pub price: Amount,
}

/// Creates a SKU of the product.
#[utoipa::path(post, path = "/api/v1/products/{id}/skus", tag = "products", request_body = NewSkuBody,
    params(("id" = i64, Path, description = "The product's id")),
    responses((status = 201, description = "Created", body = Sku), Reads, ById, Writes))]
async fn create_sku<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<EditProducts>,
    PathOf(id): PathOf<Id<Product>>,
    Body(body): Body<NewSkuBody>,
) -> ApiResult<(StatusCode, Json<Sku>)> {
    // The product is found first, so that another organization's id is a
    // 404 like on every other route taking an id.
    Product::find(&scope, id).fetch_one(&api.pool).await?;
    let sku =
        products::create_sku(&api.pool, &scope, id, &body.sku, &body.name, body.price).await?;
    Ok((StatusCode::CREATED, Json(sku)))
}

/// The organization's active SKUs, by code.
#[utoipa::path(get, path = "/api/v1/skus", tag = "products", params(Paging),
    responses((status = 200, description = "A page of SKUs", body = Page<Sku>), Reads))]
async fn skus<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ViewProducts>,
    QueryOf(paging): QueryOf<Paging>,
) -> ApiResult<Json<Page<Sku>>> {
    let select = || Sku::select(&scope).order_by(Sku::SKU, Order::Asc);
    Ok(Json(page(&api.pool, paging, select).await?))
}

/// One SKU.
#[utoipa::path(get, path = "/api/v1/skus/{id}", tag = "products",
    params(("id" = i64, Path, description = "The SKU's id")),
    responses((status = 200, description = "The SKU, its version as the ETag", body = Sku), Reads, ById))]
async fn sku<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ViewProducts>,
    PathOf(id): PathOf<Id<Sku>>,
) -> ApiResult<Response> {
    Ok(tagged(
        Sku::find(&scope, id)
            .include_inactive()
            .fetch_one(&api.pool)
            .await?,
    ))
}

/// Edits a SKU's name or price, at the version in `If-Match`.
#[utoipa::path(patch, path = "/api/v1/skus/{id}", tag = "products", request_body = SkuEdit,
    params(("id" = i64, Path, description = "The SKU's id"), IfMatch),
    responses((status = 200, description = "Edited, its new version as the ETag", body = Sku), Reads, ById, Writes, Versioned))]
async fn edit_sku<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<EditProducts>,
    PathOf(id): PathOf<Id<Sku>>,
    if_match: IfMatch,
    Body(edit): Body<SkuEdit>,
) -> ApiResult<Response> {
    let edited = edits::edit_sku(&api.pool, &scope, id, if_match.version(), edit).await?;
    Ok(tagged(edited))
}

/// The goods of one SKU, batch by batch, oldest first.
#[utoipa::path(get, path = "/api/v1/skus/{id}/inventory", tag = "products",
    params(("id" = i64, Path, description = "The SKU's id")),
    responses((status = 200, description = "The goods", body = Vec<ProductStock>), Reads, ById))]
async fn inventory<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ViewProducts>,
    PathOf(id): PathOf<Id<Sku>>,
) -> ApiResult<Json<Vec<ProductStock>>> {
    Ok(Json(products::product_stock(&api.pool, &scope, id).await?))
}

/// Records a sale or shipment, taking the goods oldest batch first. Send
/// an `Idempotency-Key` to retry safely.
#[utoipa::path(post, path = "/api/v1/sales", tag = "products", request_body = SaleRequest,
    params(IdempotencyKey),
    responses(
        (status = 201, description = "Recorded, with what each batch's goods gave", body = Recorded),
        (status = 409, description = "Not enough goods (`not_enough_goods`), or the key's first request still runs", body = tenancy_core::http::Problem, content_type = "application/problem+json"),
        Reads, Writes))]
async fn sell<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<RecordSales>,
    key: IdempotencyKey,
    Body(request): Body<SaleRequest>,
) -> ApiResult<Response> {
    let fingerprint = serde_json::json!(["sale", &request]);
    let (work, work_scope) = (api.clone(), scope.clone());
    key.run(&api.pool, &scope, fingerprint, async move {
        let today = chrono::Utc::now().date_naive();
        let recorded = products::record_sale(&work.pool, &work_scope, request, today).await?;
        Ok((StatusCode::CREATED, Json(recorded)))
    })
    .await
}
