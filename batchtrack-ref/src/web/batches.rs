//! Recipes, the stock check and batches: check a recipe at a scale (what
//! is short and by how much, the largest batch possible), start a batch,
//! finish it into a SKU's inventory, or cancel it.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use tenancy_axum::Require;
use tenancy_core::{Amount, Id, Order, Scoped};

use super::dashboard::ingredient_names;
use super::forms::{Errors, Form};
use super::inventory::keep;
use super::layout::{Visit, csrf_field, field_error, money, page, quantity, symbol, unplaced};
use super::pages::{refused, see_other};
use crate::domain::batches::{
    Finish, batches, cancel as cancel_batch, finish as finish_batch, start as start_batch,
};
use crate::domain::models::{Batch, BatchIngredient, BatchStatus, Recipe, RecipeIngredient, Sku};
use crate::domain::permissions::{RunBatches, Trace, ViewBatches, ViewRecipes};
use crate::domain::stock::{StockCheck, check};
use crate::domain::{DomainError, Shortfall, Store};
use crate::http::Api;

/// `GET /recipes`.
pub(super) async fn recipes<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<ViewRecipes>,
) -> Response {
    let recipes = match Recipe::select(&visit.scope)
        .order_by(Recipe::NAME, Order::Asc)
        .fetch_all(&api.pool)
        .await
    {
        Ok(recipes) => recipes,
        Err(error) => return refused(error),
    };
    page(
        &visit.chrome,
        "Recipes",
        html! {
            h1 { "Recipes" }
            @if recipes.is_empty() { p.muted { "No recipe yet." } }
            ul {
                @for recipe in &recipes {
                    li { a href=(format!("/recipes/{}", recipe.id)) { (recipe.name) } }
                }
            }
        },
    )
    .into_response()
}

/// The scale of a stock check.
#[derive(Debug, Deserialize)]
pub(super) struct Scale {
    scale: Option<String>,
}

/// `GET /recipes/{id}?scale=`: the recipe, its lines, and its stock check.
pub(super) async fn recipe<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<ViewRecipes>,
    Path(id): Path<i64>,
    Query(query): Query<Scale>,
) -> Response {
    let mut errors = Errors::new();
    let scale = match query.scale.as_deref().map(str::trim) {
        None | Some("") => Amount::from_micros(1_000_000),
        Some(text) => text.parse().unwrap_or_else(|_| {
            errors.insert("scale", "must be a number such as 1.5".into());
            Amount::from_micros(1_000_000)
        }),
    };
    recipe_page(&api, &visit, Id::new(id), scale, errors, &[])
        .await
        .unwrap_or_else(|refusal| refusal)
}

async fn recipe_page<DB: Store>(
    api: &Api<DB>,
    visit: &Visit,
    id: Id<Recipe>,
    scale: Amount,
    mut errors: Errors,
    shortfalls: &[Shortfall],
) -> Result<Response, Response> {
    let recipe = Recipe::find(&visit.scope, id)
        .fetch_one(&api.pool)
        .await
        .map_err(refused)?;
    let lines = RecipeIngredient::select(&visit.scope)
        .filter(RecipeIngredient::RECIPE_ID.eq(id))
        .fetch_all(&api.pool)
        .await
        .map_err(refused)?;
    let ingredients = ingredient_names(api, visit).await.map_err(refused)?;
    let today = chrono::Utc::now().date_naive();
    let checked: Option<StockCheck> =
        match check(&api.pool, &visit.scope, &api.units, id, scale, today).await {
            Ok(checked) => Some(checked),
            Err(error) => {
                keep(&mut errors, error).map_err(refused)?;
                None
            }
        };
    let status = if errors.is_empty() && shortfalls.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let name_of = |id| {
        ingredients
            .get(&id)
            .map_or("?", |i: &crate::domain::models::Ingredient| i.name.as_str())
    };
    let markup = page(
        &visit.chrome,
        &recipe.name,
        html! {
            h1 { (recipe.name) }
            @if let Some(description) = &recipe.description { p { (description) } }
            h2 { "Ingredients per batch" }
            ul {
                @for line in &lines {
                    li { (name_of(line.ingredient_id)) ": " (quantity(line.quantity, &symbol(api, line.unit_id))) }
                }
            }
            form.card method="get" action=(format!("/recipes/{}", recipe.id)) {
                h2 { "Stock check" }
                label for="scale" { "Scale (batches)" }
                input id="scale" aria-invalid=[errors.contains_key("scale").then_some("true")] aria-describedby=[errors.contains_key("scale").then_some("scale-error")] name="scale" inputmode="decimal" value=(scale);
                (field_error(&errors, "scale"))
                button.secondary type="submit" { "Check stock" }
            }
            @if !shortfalls.is_empty() {
                div.banner.bad role="alert" {
                    "The batch was not started: not enough stock."
                    ul { @for line in shortfalls { li { (line.ingredient) " is short by " (quantity(line.short_by, &symbol(api, line.unit_id))) } } }
                }
            }
            @if let Some(checked) = &checked { (stock_check(api, visit, &recipe, checked, &errors)) }
            @else { (unplaced(&errors, &["scale"])) }
        },
    );
    Ok((status, markup).into_response())
}

fn stock_check<DB: Store>(
    api: &Api<DB>,
    visit: &Visit,
    recipe: &Recipe,
    checked: &StockCheck,
    errors: &Errors,
) -> Markup {
    html! {
        section.card aria-labelledby="check" {
            h2 id="check" { "At scale " (checked.scale) }
            table {
                thead { tr { th { "Ingredient" } th.number { "Needed" } th.number { "Available" } th.number { "Short by" } } }
                tbody {
                    @for line in &checked.lines {
                        @let unit = symbol(api, line.unit_id);
                        tr {
                            td { (line.ingredient) }
                            td.number { (quantity(line.needed, &unit)) }
                            td.number { (quantity(line.available, &unit)) }
                            td.number.short[!line.short_by.is_zero()] {
                                @if line.short_by.is_zero() { "—" } @else { (quantity(line.short_by, &unit)) }
                            }
                        }
                    }
                }
            }
            p id="can-make" {
                @if checked.can_make { strong { "Enough stock for this batch." } }
                @else { strong.short { "Not enough stock for this batch." } }
                @if let Some(max) = checked.max_scale { " The largest batch possible now: scale " (max) "." }
            }
            @if checked.can_make && visit.may::<RunBatches>() {
                form method="post" action="/batches" {
                    (csrf_field(&visit.csrf))
                    input type="hidden" name="recipe_id" value=(recipe.id);
                    input type="hidden" name="scale" value=(checked.scale);
                    (field_error(errors, "recipe_id"))
                    button type="submit" { "Start batch" }
                }
            }
        }
    }
}

/// `POST /batches`: starts a batch of the form's recipe and scale.
pub(super) async fn start<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<RunBatches>,
    form: Form,
) -> Response {
    let mut errors = Errors::new();
    let recipe = form.id::<Recipe>("recipe_id", &mut errors);
    let scale = form.amount("scale", &mut errors);
    let (Some(recipe), Some(scale)) = (recipe, scale) else {
        return refused(DomainError::invalid(
            "recipe_id",
            "choose a recipe and a scale",
        ));
    };
    let today = chrono::Utc::now().date_naive();
    match start_batch(&api.pool, &visit.scope, &api.units, recipe, scale, today).await {
        Ok(started) => see_other(&format!("/batches/{}", started.batch.id)),
        Err(DomainError::ShortStock(shortfalls)) => {
            recipe_page(&api, &visit, recipe, scale, errors, &shortfalls)
                .await
                .unwrap_or_else(|refusal| refusal)
        }
        Err(error) => {
            if let Err(other) = keep(&mut errors, error) {
                return refused(other);
            }
            recipe_page(&api, &visit, recipe, scale, errors, &[])
                .await
                .unwrap_or_else(|refusal| refusal)
        }
    }
}

/// `GET /batches`.
pub(super) async fn list<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<ViewBatches>,
) -> Response {
    let listed = match batches(&api.pool, &visit.scope, None, 100).await {
        Ok(listed) => listed,
        Err(error) => return refused(error),
    };
    let recipes = match recipe_names(&api, &visit).await {
        Ok(recipes) => recipes,
        Err(error) => return refused(error),
    };
    page(
        &visit.chrome,
        "Batches",
        html! {
            h1 { "Batches" }
            @if listed.is_empty() { p.muted { "No batch yet: start one from a recipe's stock check." } }
            @else {
                table {
                    thead { tr { th { "Batch" } th { "Recipe" } th.number { "Scale" } th { "Status" } th { "Started" } } }
                    tbody {
                        @for batch in &listed {
                            tr {
                                td { a href=(format!("/batches/{}", batch.id)) { "Batch " (batch.id) } }
                                td { (recipes.get(&batch.recipe_id).map_or("?", String::as_str)) }
                                td.number { (batch.scale) }
                                td { (status_text(batch.status)) }
                                td { (batch.started_at.format("%Y-%m-%d %H:%M")) }
                            }
                        }
                    }
                }
            }
        },
    )
    .into_response()
}

async fn recipe_names<DB: Store>(
    api: &Api<DB>,
    visit: &Visit,
) -> tenancy_core::Result<HashMap<Id<Recipe>, String>> {
    Ok(Recipe::select(&visit.scope)
        .include_inactive()
        .fetch_all(&api.pool)
        .await?
        .into_iter()
        .map(|recipe| (recipe.id, recipe.name))
        .collect())
}

fn status_text(status: BatchStatus) -> &'static str {
    match status {
        BatchStatus::InProgress => "in progress",
        BatchStatus::Finished => "finished",
        BatchStatus::Cancelled => "cancelled",
    }
}

/// `GET /batches/{id}`.
pub(super) async fn show<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<ViewBatches>,
    Path(id): Path<i64>,
) -> Response {
    batch_page(&api, &visit, Id::new(id), &Errors::new(), None)
        .await
        .unwrap_or_else(|refusal| refusal)
}

async fn batch_page<DB: Store>(
    api: &Api<DB>,
    visit: &Visit,
    id: Id<Batch>,
    errors: &Errors,
    form: Option<&Form>,
) -> Result<Response, Response> {
    let batch = Batch::find(&visit.scope, id)
        .fetch_one(&api.pool)
        .await
        .map_err(refused)?;
    let recipe = Recipe::find(&visit.scope, batch.recipe_id)
        .include_inactive()
        .fetch_one(&api.pool)
        .await
        .map_err(refused)?;
    let used = BatchIngredient::select(&visit.scope)
        .filter(BatchIngredient::BATCH_ID.eq(id))
        .fetch_all(&api.pool)
        .await
        .map_err(refused)?;
    let ingredients = ingredient_names(api, visit).await.map_err(refused)?;
    let skus = Sku::select(&visit.scope)
        .order_by(Sku::SKU, Order::Asc)
        .fetch_all(&api.pool)
        .await
        .map_err(refused)?;
    let value = |name: &str| form.map_or("", |form| form.text(name)).to_owned();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let markup = page(
        &visit.chrome,
        &format!("Batch {}", batch.id),
        html! {
            h1 { "Batch " (batch.id) ": " (recipe.name) }
            p { "Scale " (batch.scale) ", " strong id="status" { (status_text(batch.status)) } ", started " (batch.started_at.format("%Y-%m-%d %H:%M")) ". Cost so far: " (money(batch.total_cost)) "." }
            (unplaced(errors, &["sku_id", "yield_quantity", "batch_code", "expires_on"]))
            @if visit.may::<Trace>() { p { a href=(format!("/batches/{}/trace", batch.id)) { "Trace this batch" } } }
            h2 { "Taken from lots" }
            table {
                thead { tr { th { "Ingredient" } th { "Lot" } th.number { "Used" } } }
                tbody {
                    @for line in &used {
                        @let ingredient = ingredients.get(&line.ingredient_id);
                        tr {
                            td { (ingredient.map_or("?", |i| i.name.as_str())) }
                            td { "Lot " (line.inventory_item_id) }
                            td.number { (quantity(line.quantity_used, &ingredient.map(|i| symbol(api, i.stock_unit_id)).unwrap_or_default())) }
                        }
                    }
                }
            }
            @if batch.status == BatchStatus::InProgress && visit.may::<RunBatches>() {
                form.card method="post" action=(format!("/batches/{}/finish", batch.id)) {
                    h2 { "Finish" }
                    (csrf_field(&visit.csrf))
                    label for="sku_id" { "Product made" }
                    select id="sku_id" aria-invalid=[errors.contains_key("sku_id").then_some("true")] aria-describedby=[errors.contains_key("sku_id").then_some("sku_id-error")] name="sku_id" required {
                        @for sku in &skus { option value=(sku.id) selected[value("sku_id") == sku.id.to_string()] { (sku.sku) " — " (sku.name) } }
                    }
                    (field_error(errors, "sku_id"))
                    label for="yield_quantity" { "Yield (pieces)" }
                    input id="yield_quantity" aria-invalid=[errors.contains_key("yield_quantity").then_some("true")] aria-describedby=[errors.contains_key("yield_quantity").then_some("yield_quantity-error")] name="yield_quantity" inputmode="decimal" required value=(value("yield_quantity"));
                    (field_error(errors, "yield_quantity"))
                    label for="batch_code" { "Batch code (optional)" }
                    input id="batch_code" aria-invalid=[errors.contains_key("batch_code").then_some("true")] aria-describedby=[errors.contains_key("batch_code").then_some("batch_code-error")] name="batch_code" value=(value("batch_code"));
                    (field_error(errors, "batch_code"))
                    label for="expires_on" { "Sell by (optional)" }
                    input id="expires_on" aria-invalid=[errors.contains_key("expires_on").then_some("true")] aria-describedby=[errors.contains_key("expires_on").then_some("expires_on-error")] name="expires_on" type="date" value=(value("expires_on"));
                    (field_error(errors, "expires_on"))
                    button type="submit" { "Finish batch" }
                }
                form method="post" action=(format!("/batches/{}/cancel", batch.id)) {
                    (csrf_field(&visit.csrf))
                    button.secondary type="submit" { "Cancel batch and return its stock" }
                }
            }
        },
    );
    Ok((status, markup).into_response())
}

/// `POST /batches/{id}/finish`.
pub(super) async fn finish<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<RunBatches>,
    Path(id): Path<i64>,
    form: Form,
) -> Response {
    let batch = Id::new(id);
    let mut errors = Errors::new();
    let sku_id = form.id::<Sku>("sku_id", &mut errors);
    let yield_quantity = form.amount("yield_quantity", &mut errors);
    let expires_on = form.optional_date("expires_on", &mut errors);
    if let (Some(sku_id), Some(yield_quantity), true) = (sku_id, yield_quantity, errors.is_empty())
    {
        let finish = Finish {
            sku_id,
            yield_quantity,
            batch_code: form.optional_text("batch_code"),
            expires_on,
        };
        let today = chrono::Utc::now().date_naive();
        match finish_batch(&api.pool, &visit.scope, batch, finish, today).await {
            Ok(_) => return see_other(&format!("/batches/{id}")),
            Err(DomainError::Library(tenancy_core::Error::NotFound {
                table: "product_skus",
            })) => {
                errors.insert("sku_id", "is not one of your products".into());
            }
            Err(error) => {
                if let Err(other) = keep(&mut errors, error) {
                    return refused(other);
                }
            }
        }
    }
    batch_page(&api, &visit, batch, &errors, Some(&form))
        .await
        .unwrap_or_else(|refusal| refusal)
}

/// `POST /batches/{id}/cancel`.
pub(super) async fn cancel<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<RunBatches>,
    Path(id): Path<i64>,
    form: Form,
) -> Response {
    let _ = form;
    match cancel_batch(&api.pool, &visit.scope, Id::new(id)).await {
        Ok(_) => see_other(&format!("/batches/{id}")),
        Err(error) => refused(error),
    }
}
