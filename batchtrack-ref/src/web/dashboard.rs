//! The dashboard: what needs attention today (stock running low, lots
//! expiring or expired, batches in progress).

use std::collections::HashMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;
use tenancy_core::{Id, Scoped};

use super::layout::{Visit, page, quantity, symbol};
use super::pages::refused;
use crate::domain::Store;
use crate::domain::inventory::{expired_lots, expiring_lots, low_stock};
use crate::domain::models::{BatchStatus, Ingredient, Recipe};
use crate::domain::permissions::{ViewBatches, ViewInventory};
use crate::http::Api;

/// How far ahead the dashboard looks for lots about to expire.
const EXPIRING_WITHIN_DAYS: i64 = 30;

/// The ingredients of the organization by id, inactive ones too (lots and
/// lines keep naming them).
pub(super) async fn ingredient_names<DB: Store>(
    api: &Api<DB>,
    visit: &Visit,
) -> tenancy_core::Result<HashMap<Id<Ingredient>, Ingredient>> {
    Ok(Ingredient::select(&visit.scope)
        .include_inactive()
        .fetch_all(&api.pool)
        .await?
        .into_iter()
        .map(|ingredient| (ingredient.id, ingredient))
        .collect())
}

/// `GET /`.
pub(super) async fn show<DB: Store>(State(api): State<Api<DB>>, visit: Visit) -> Response {
    match render(&api, &visit).await {
        Ok(page) => page.into_response(),
        Err(error) => refused(error),
    }
}

async fn render<DB: Store>(
    api: &Api<DB>,
    visit: &Visit,
) -> Result<maud::Markup, tenancy_core::Error> {
    let today = chrono::Utc::now().date_naive();
    let inventory = visit.may::<ViewInventory>();
    let (low, expiring, expired, ingredients) = if inventory {
        (
            low_stock(&api.pool, &visit.scope, today).await?,
            expiring_lots(
                &api.pool,
                &visit.scope,
                today,
                today + chrono::Duration::days(EXPIRING_WITHIN_DAYS),
            )
            .await?,
            expired_lots(&api.pool, &visit.scope, today).await?,
            ingredient_names(api, visit).await?,
        )
    } else {
        Default::default()
    };
    let in_progress = if visit.may::<ViewBatches>() {
        crate::domain::batches::batches(&api.pool, &visit.scope, Some(BatchStatus::InProgress), 50)
            .await?
    } else {
        Vec::new()
    };
    let recipes: HashMap<Id<Recipe>, String> = Recipe::select(&visit.scope)
        .include_inactive()
        .fetch_all(&api.pool)
        .await?
        .into_iter()
        .map(|recipe| (recipe.id, recipe.name))
        .collect();
    let name_of = |id: Id<Ingredient>| {
        ingredients
            .get(&id)
            .map_or_else(|| format!("#{id}"), |ingredient| ingredient.name.clone())
    };
    let unit_of = |id: Id<Ingredient>| {
        ingredients.get(&id).map_or_else(String::new, |ingredient| {
            symbol(api, ingredient.stock_unit_id)
        })
    };
    Ok(page(
        &visit.chrome,
        "Dashboard",
        html! {
            h1 { "Today" }
            @if inventory {
                section.card aria-labelledby="low" {
                    h2 id="low" { "Running low" }
                    @if low.is_empty() { p.muted { "Every ingredient is above its threshold." } }
                    @else {
                        table {
                            thead { tr { th { "Ingredient" } th.number { "On hand" } th.number { "Threshold" } } }
                            tbody {
                                @for line in &low {
                                    @let unit = symbol(api, line.ingredient.stock_unit_id);
                                    tr {
                                        td { a href=(format!("/ingredients/{}", line.ingredient.id)) { (line.ingredient.name) } }
                                        td.number.short { (quantity(line.on_hand, &unit)) }
                                        td.number { (quantity(line.threshold, &unit)) }
                                    }
                                }
                            }
                        }
                    }
                }
                section.card aria-labelledby="expiring" {
                    h2 id="expiring" { "Expiring within " (EXPIRING_WITHIN_DAYS) " days" }
                    @if expiring.is_empty() { p.muted { "No lot expires soon." } }
                    @else { (lot_rows(&expiring, &name_of, &unit_of)) }
                }
                @if !expired.is_empty() {
                    section.card aria-labelledby="expired" {
                        h2 id="expired" { "Expired, still in stock" }
                        p.muted { "Batches never use these lots: use them up otherwise or write them off." }
                        (lot_rows(&expired, &name_of, &unit_of))
                    }
                }
            }
            @if visit.may::<ViewBatches>() {
                section.card aria-labelledby="batches" {
                    h2 id="batches" { "Batches in progress" }
                    @if in_progress.is_empty() { p.muted { "No batch is in progress." } }
                    @else {
                        ul {
                            @for batch in &in_progress {
                                li {
                                    a href=(format!("/batches/{}", batch.id)) {
                                        "Batch " (batch.id) ": " (recipes.get(&batch.recipe_id).map_or("?", String::as_str))
                                    }
                                    " × " (batch.scale) ", started " (batch.started_at.format("%Y-%m-%d %H:%M"))
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}

fn lot_rows(
    lots: &[crate::domain::models::Lot],
    name_of: &dyn Fn(Id<Ingredient>) -> String,
    unit_of: &dyn Fn(Id<Ingredient>) -> String,
) -> maud::Markup {
    html! {
        table {
            thead { tr { th { "Ingredient" } th { "Lot" } th { "Expires" } th.number { "Left" } } }
            tbody {
                @for lot in lots {
                    tr {
                        td { a href=(format!("/ingredients/{}", lot.ingredient_id)) { (name_of(lot.ingredient_id)) } }
                        td { (lot.lot_number) }
                        td { (lot.expires_on.map(|day| day.to_string()).unwrap_or_default()) }
                        td.number { (quantity(lot.quantity, &unit_of(lot.ingredient_id))) }
                    }
                }
            }
        }
    }
}
