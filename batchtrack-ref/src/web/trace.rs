//! Traceability, the recall report: where a lot went (batches, goods,
//! sales) and where a batch came from (lots, what it made).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use tenancy_axum::Require;
use tenancy_core::Id;

use super::dashboard::ingredient_names;
use super::layout::{Visit, page, quantity, symbol};
use super::pages::refused;
use crate::domain::Store;
use crate::domain::permissions::Trace;
use crate::domain::trace::{batch_back, forward};
use crate::http::Api;

/// `GET /lots/{id}/trace`.
pub(super) async fn lot<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<Trace>,
    Path(id): Path<i64>,
) -> Response {
    let traced = match forward(&api.pool, &visit.scope, Id::new(id)).await {
        Ok(traced) => traced,
        Err(error) => return refused(error),
    };
    let ingredients = match ingredient_names(&api, &visit).await {
        Ok(ingredients) => ingredients,
        Err(error) => return refused(error),
    };
    let unit = ingredients
        .get(&traced.lot.ingredient_id)
        .map(|ingredient| symbol(&api, ingredient.stock_unit_id))
        .unwrap_or_default();
    page(
        &visit.chrome,
        &format!("Lot {}", traced.lot.lot_number),
        html! {
            h1 { "Where lot " (traced.lot.lot_number) " went" }
            p { "Received " (traced.lot.received_on) @if let Some(supplier) = &traced.lot.supplier { " from " (supplier) } "." }
            h2 { "Batches" }
            @if traced.batches.is_empty() { p.muted { "No batch used this lot." } }
            ul {
                @for used in &traced.batches {
                    li { a href=(format!("/batches/{}/trace", used.batch.id)) { "Batch " (used.batch.id) } ": " (quantity(used.quantity_used, &unit)) " taken" }
                }
            }
            h2 { "Goods made" }
            @if traced.products.is_empty() { p.muted { "None yet." } }
            ul { @for goods in &traced.products { li { (goods.batch_code) ": " (quantity(goods.produced_quantity, "pcs")) " made, " (quantity(goods.quantity, "pcs")) " left" } } }
            h2 { "Sales" }
            @if traced.sales.is_empty() { p.muted { "None." } }
            ul { @for sold in &traced.sales { li { "Sale " (sold.sale.id) ": " (quantity(sold.quantity, "pcs")) } } }
        },
    )
    .into_response()
}

/// `GET /batches/{id}/trace`.
pub(super) async fn batch<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<Trace>,
    Path(id): Path<i64>,
) -> Response {
    let traced = match batch_back(&api.pool, &visit.scope, Id::new(id)).await {
        Ok(traced) => traced,
        Err(error) => return refused(error),
    };
    let ingredients = match ingredient_names(&api, &visit).await {
        Ok(ingredients) => ingredients,
        Err(error) => return refused(error),
    };
    let unit_of = |id| {
        ingredients
            .get(&id)
            .map(|ingredient: &crate::domain::models::Ingredient| {
                symbol(&api, ingredient.stock_unit_id)
            })
            .unwrap_or_default()
    };
    page(
        &visit.chrome,
        &format!("Batch {}", traced.batch.id),
        html! {
            h1 { "Where batch " (traced.batch.id) " came from" }
            table {
                thead { tr { th { "Ingredient" } th { "Lot" } th { "Received" } th.number { "Used" } } }
                tbody {
                    @for used in &traced.lots {
                        tr {
                            td { (used.ingredient) }
                            td { a href=(format!("/lots/{}/trace", used.lot.id)) { (used.lot.lot_number) } }
                            td { (used.lot.received_on) }
                            td.number { (quantity(used.quantity_used, &unit_of(used.ingredient_id))) }
                        }
                    }
                }
            }
            h2 { "What it made" }
            @if traced.products.is_empty() { p.muted { "Nothing yet." } }
            ul { @for goods in &traced.products { li { (goods.batch_code) ": " (quantity(goods.produced_quantity, "pcs")) } } }
        },
    )
    .into_response()
}
