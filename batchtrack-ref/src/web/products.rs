//! Products, their SKUs and what finished batches put in stock.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;
use tenancy_axum::Require;
use tenancy_core::{Amount, Order, Scoped};

use super::layout::{Visit, money, page, quantity};
use super::pages::refused;
use crate::domain::Store;
use crate::domain::models::{Product, ProductStock, Sku};
use crate::domain::permissions::ViewProducts;
use crate::http::Api;

/// `GET /products`.
pub(super) async fn list<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<ViewProducts>,
) -> Response {
    let read = async {
        let products = Product::select(&visit.scope)
            .order_by(Product::NAME, Order::Asc)
            .fetch_all(&api.pool)
            .await?;
        let skus = Sku::select(&visit.scope)
            .order_by(Sku::SKU, Order::Asc)
            .fetch_all(&api.pool)
            .await?;
        let stock = ProductStock::select(&visit.scope)
            .filter(ProductStock::QUANTITY.gt(Amount::ZERO))
            .order_by(ProductStock::CREATED_AT, Order::Asc)
            .fetch_all(&api.pool)
            .await?;
        Ok::<_, tenancy_core::Error>((products, skus, stock))
    };
    let (products, skus, stock) = match read.await {
        Ok(read) => read,
        Err(error) => return refused(error),
    };
    let mut by_sku: HashMap<_, Vec<&ProductStock>> = HashMap::new();
    for row in &stock {
        by_sku.entry(row.sku_id).or_default().push(row);
    }
    page(
        &visit.chrome,
        "Products",
        html! {
            h1 { "Products" }
            @if products.is_empty() { p.muted { "No product yet." } }
            @for product in &products {
                section.card {
                    h2 { (product.name) }
                    @if let Some(description) = &product.description { p.muted { (description) } }
                    table {
                        thead { tr { th { "SKU" } th { "Name" } th.number { "Price" } th.number { "In stock" } th { "From batches" } } }
                        tbody {
                            @for sku in skus.iter().filter(|sku| sku.product_id == product.id) {
                                @let rows = by_sku.get(&sku.id).map(Vec::as_slice).unwrap_or(&[]);
                                @let total = rows.iter().try_fold(Amount::ZERO, |sum, row| sum.checked_add(row.quantity));
                                tr data-sku=(sku.sku) {
                                    td { (sku.sku) }
                                    td { (sku.name) }
                                    td.number { (money(sku.price)) }
                                    td.number.in-stock { (quantity(total.unwrap_or(Amount::ZERO), "pcs")) }
                                    td {
                                        @for row in rows {
                                            span { (row.batch_code) ": " (quantity(row.quantity, "pcs")) @if let Some(day) = row.expires_on { ", sell by " (day) } }
                                            br;
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
    .into_response()
}
