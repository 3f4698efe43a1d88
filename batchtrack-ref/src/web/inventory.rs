//! Ingredients and their lots: the list with what is on hand, a new
//! ingredient, receiving a lot and adjusting one.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use tenancy_axum::Require;
use tenancy_core::{Amount, Id, Order, Scoped};

use super::forms::{Errors, Form};
use super::layout::{Visit, csrf_field, field_error, money, page, quantity, symbol, unplaced};
use super::pages::{refused, see_other};
use crate::domain::catalog::{IngredientSpec, create_ingredient};
use crate::domain::inventory::{
    AdjustmentRequest, Receipt, adjust as adjust_lot, receive as receive_lot, usable_stock,
};
use crate::domain::models::{AdjustmentKind, Ingredient, Lot};
use crate::domain::permissions::{AdjustInventory, EditInventory, Trace, ViewInventory};
use crate::domain::{DomainError, Store};
use crate::http::Api;

/// Keeps an error of a form at its field when the service named one (a
/// unit that does not convert is the unit field's); gives back the
/// others, which are pages of their own.
pub(super) fn keep(errors: &mut Errors, error: DomainError) -> Result<(), DomainError> {
    match error {
        DomainError::Invalid { field, reason } => {
            errors.insert(field, reason);
            Ok(())
        }
        DomainError::Conversion(conversion) => {
            errors.insert("unit_id", conversion.to_string());
            Ok(())
        }
        other => Err(other),
    }
}

fn unit_options<DB: Store>(
    api: &Api<DB>,
    selected: Option<Id<crate::domain::models::Unit>>,
) -> Markup {
    html! {
        @for unit in api.units.all() {
            option value=(unit.id) selected[Some(unit.id) == selected] { (unit.symbol) " (" (unit.name) ")" }
        }
    }
}

/// `GET /ingredients`.
pub(super) async fn list<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<ViewInventory>,
) -> Response {
    match list_page(&api, &visit, &Errors::new(), None).await {
        Ok(page) => page.into_response(),
        Err(error) => refused(error),
    }
}

async fn list_page<DB: Store>(
    api: &Api<DB>,
    visit: &Visit,
    errors: &Errors,
    form: Option<&Form>,
) -> Result<Markup, tenancy_core::Error> {
    let today = chrono::Utc::now().date_naive();
    let ingredients = Ingredient::select(&visit.scope)
        .order_by(Ingredient::NAME, Order::Asc)
        .fetch_all(&api.pool)
        .await?;
    let on_hand: HashMap<_, _> = usable_stock(&api.pool, &visit.scope, today)
        .await?
        .into_iter()
        .collect();
    let value = |name: &str| form.map_or("", |form| form.text(name)).to_owned();
    Ok(page(
        &visit.chrome,
        "Ingredients",
        html! {
            h1 { "Ingredients" }
            table {
                thead { tr { th { "Ingredient" } th.number { "Usable stock" } th.number { "Low below" } } }
                tbody {
                    @for ingredient in &ingredients {
                        @let unit = symbol(api, ingredient.stock_unit_id);
                        @let stock = on_hand.get(&ingredient.id).copied().unwrap_or(Amount::ZERO);
                        @let low = ingredient.low_stock_threshold.is_some_and(|threshold| stock < threshold);
                        tr {
                            td { a href=(format!("/ingredients/{}", ingredient.id)) { (ingredient.name) } }
                            td.number.short[low] { (quantity(stock, &unit)) }
                            td.number { (ingredient.low_stock_threshold.map(|t| quantity(t, &unit)).unwrap_or_default()) }
                        }
                    }
                }
            }
            @if visit.may::<EditInventory>() {
                form.card method="post" action="/ingredients" {
                    h2 { "New ingredient" }
                    (unplaced(errors, &["name", "stock_unit_id", "low_stock_threshold"]))
                    (csrf_field(&visit.csrf))
                    label for="name" { "Name" }
                    input id="name" aria-invalid=[errors.contains_key("name").then_some("true")] aria-describedby=[errors.contains_key("name").then_some("name-error")] name="name" required value=(value("name"));
                    (field_error(errors, "name"))
                    label for="stock_unit_id" { "Stock unit" }
                    select id="stock_unit_id" aria-invalid=[errors.contains_key("stock_unit_id").then_some("true")] aria-describedby=[errors.contains_key("stock_unit_id").then_some("stock_unit_id-error")] name="stock_unit_id" { (unit_options(api, None)) }
                    (field_error(errors, "stock_unit_id"))
                    label for="low_stock_threshold" { "Low below (in the stock unit, optional)" }
                    input id="low_stock_threshold" aria-invalid=[errors.contains_key("low_stock_threshold").then_some("true")] aria-describedby=[errors.contains_key("low_stock_threshold").then_some("low_stock_threshold-error")] name="low_stock_threshold" inputmode="decimal" value=(value("low_stock_threshold"));
                    (field_error(errors, "low_stock_threshold"))
                    button type="submit" { "Add ingredient" }
                }
            }
        },
    ))
}

/// `POST /ingredients`.
pub(super) async fn create<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<EditInventory>,
    form: Form,
) -> Response {
    let mut errors = Errors::new();
    let stock_unit_id = form.id("stock_unit_id", &mut errors);
    let low_stock_threshold = if form.text("low_stock_threshold").is_empty() {
        None
    } else {
        form.amount("low_stock_threshold", &mut errors)
    };
    if let (Some(stock_unit_id), true) = (stock_unit_id, errors.is_empty()) {
        let spec = IngredientSpec {
            name: form.text("name").to_owned(),
            category_id: None,
            stock_unit_id,
            density: None,
            unit_weight: None,
            low_stock_threshold,
        };
        match create_ingredient(&api.pool, &visit.scope, &api.units, spec).await {
            Ok(ingredient) => return see_other(&format!("/ingredients/{}", ingredient.id)),
            Err(error) => {
                if let Err(other) = keep(&mut errors, error) {
                    return refused(other);
                }
            }
        }
    }
    match list_page(&api, &visit, &errors, Some(&form)).await {
        Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
        Err(error) => refused(error),
    }
}

/// `GET /ingredients/{id}`.
pub(super) async fn show<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<ViewInventory>,
    Path(id): Path<i64>,
) -> Response {
    match ingredient_page(&api, &visit, Id::new(id), &Errors::new(), None).await {
        Ok(page) => page.into_response(),
        Err(error) => refused(error),
    }
}

async fn ingredient_page<DB: Store>(
    api: &Api<DB>,
    visit: &Visit,
    id: Id<Ingredient>,
    errors: &Errors,
    form: Option<&Form>,
) -> Result<Markup, tenancy_core::Error> {
    let ingredient = Ingredient::find(&visit.scope, id)
        .include_inactive()
        .fetch_one(&api.pool)
        .await?;
    let lots = Lot::select(&visit.scope)
        .filter(Lot::INGREDIENT_ID.eq(id))
        .order_by(Lot::RECEIVED_ON, Order::Desc)
        .fetch_all(&api.pool)
        .await?;
    let unit = symbol(api, ingredient.stock_unit_id);
    let today = chrono::Utc::now().date_naive();
    let value = |name: &str| form.map_or("", |form| form.text(name)).to_owned();
    let adjust = visit.may::<AdjustInventory>();
    let trace = visit.may::<Trace>();
    Ok(page(
        &visit.chrome,
        &ingredient.name,
        html! {
            h1 { (ingredient.name) }
            (unplaced(errors, &["lot_number", "supplier", "quantity", "unit_id", "cost_per_unit", "received_on", "expires_on"]))
            h2 { "Lots" }
            @if lots.is_empty() { p.muted { "No lot received yet." } }
            @else {
                table {
                    thead { tr { th { "Lot" } th { "Received" } th { "Expires" } th.number { "Left" } th.number { "Cost per " (unit) } @if adjust { th { "Adjust" } } } }
                    tbody {
                        @for lot in &lots {
                            @let expired = lot.expires_on.is_some_and(|day| day < today);
                            tr {
                                td {
                                    @if trace { a href=(format!("/lots/{}/trace", lot.id)) { (lot.lot_number) } } @else { (lot.lot_number) }
                                    @if let Some(supplier) = &lot.supplier { br; span.muted { (supplier) } }
                                }
                                td { (lot.received_on) }
                                td.short[expired] { (lot.expires_on.map(|day| day.to_string()).unwrap_or_else(|| "never".into())) @if expired { " (expired)" } }
                                td.number { (quantity(lot.quantity, &unit)) }
                                td.number { (money(lot.cost_per_unit)) }
                                @if adjust {
                                    td {
                                        form.inline method="post" action=(format!("/lots/{}/adjust", lot.id)) {
                                            (csrf_field(&visit.csrf))
                                            label.muted for=(format!("kind-{}", lot.id)) { "Kind" }
                                            select id=(format!("kind-{}", lot.id)) name="kind" {
                                                option value="spoilage" { "Spoilage (remove)" }
                                                option value="recount" { "Recount (set to)" }
                                                option value="correction" { "Correction (±)" }
                                            }
                                            label.muted for=(format!("quantity-{}", lot.id)) { "Quantity (" (unit) ")" }
                                            input id=(format!("quantity-{}", lot.id)) name="quantity" inputmode="decimal" required;
                                            label.muted for=(format!("reason-{}", lot.id)) { "Reason" }
                                            input id=(format!("reason-{}", lot.id)) name="reason" required;
                                            button.secondary type="submit" aria-label=(format!("Adjust lot {}", lot.lot_number)) { "Adjust" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if visit.may::<EditInventory>() {
                form.card method="post" action=(format!("/ingredients/{}/lots", ingredient.id)) {
                    h2 { "Receive a lot" }
                    (csrf_field(&visit.csrf))
                    label for="lot_number" { "Lot number" }
                    input id="lot_number" aria-invalid=[errors.contains_key("lot_number").then_some("true")] aria-describedby=[errors.contains_key("lot_number").then_some("lot_number-error")] name="lot_number" required value=(value("lot_number"));
                    (field_error(errors, "lot_number"))
                    label for="supplier" { "Supplier (optional)" }
                    input id="supplier" aria-invalid=[errors.contains_key("supplier").then_some("true")] aria-describedby=[errors.contains_key("supplier").then_some("supplier-error")] name="supplier" maxlength="200" value=(value("supplier"));
                    (field_error(errors, "supplier"))
                    label for="quantity" { "Quantity" }
                    input id="quantity" aria-invalid=[errors.contains_key("quantity").then_some("true")] aria-describedby=[errors.contains_key("quantity").then_some("quantity-error")] name="quantity" inputmode="decimal" required value=(value("quantity"));
                    (field_error(errors, "quantity"))
                    label for="unit_id" { "Unit" }
                    select id="unit_id" aria-invalid=[errors.contains_key("unit_id").then_some("true")] aria-describedby=[errors.contains_key("unit_id").then_some("unit_id-error")] name="unit_id" { (unit_options(api, Some(ingredient.stock_unit_id))) }
                    (field_error(errors, "unit_id"))
                    label for="cost_per_unit" { "Cost per unit bought" }
                    input id="cost_per_unit" aria-invalid=[errors.contains_key("cost_per_unit").then_some("true")] aria-describedby=[errors.contains_key("cost_per_unit").then_some("cost_per_unit-error")] name="cost_per_unit" inputmode="decimal" required value=(value("cost_per_unit"));
                    (field_error(errors, "cost_per_unit"))
                    label for="received_on" { "Received on" }
                    input id="received_on" aria-invalid=[errors.contains_key("received_on").then_some("true")] aria-describedby=[errors.contains_key("received_on").then_some("received_on-error")] name="received_on" type="date" required value=(if value("received_on").is_empty() { today.to_string() } else { value("received_on") });
                    (field_error(errors, "received_on"))
                    label for="expires_on" { "Expires on (optional)" }
                    input id="expires_on" aria-invalid=[errors.contains_key("expires_on").then_some("true")] aria-describedby=[errors.contains_key("expires_on").then_some("expires_on-error")] name="expires_on" type="date" value=(value("expires_on"));
                    (field_error(errors, "expires_on"))
                    button type="submit" { "Receive" }
                }
            }
        },
    ))
}

/// `POST /ingredients/{id}/lots`.
pub(super) async fn receive<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<EditInventory>,
    Path(id): Path<i64>,
    form: Form,
) -> Response {
    let ingredient_id = Id::new(id);
    let mut errors = Errors::new();
    let quantity = form.amount("quantity", &mut errors);
    let unit_id = form.id("unit_id", &mut errors);
    let cost_per_unit = form.amount("cost_per_unit", &mut errors);
    let received_on = form.date("received_on", &mut errors);
    let expires_on = form.optional_date("expires_on", &mut errors);
    if let (Some(quantity), Some(unit_id), Some(cost_per_unit), Some(received_on), true) = (
        quantity,
        unit_id,
        cost_per_unit,
        received_on,
        errors.is_empty(),
    ) {
        let receipt = Receipt {
            ingredient_id,
            lot_number: form.text("lot_number").to_owned(),
            supplier: form.optional_text("supplier"),
            quantity,
            unit_id,
            cost_per_unit,
            received_on,
            expires_on,
        };
        match receive_lot(&api.pool, &visit.scope, &api.units, receipt).await {
            Ok(_) => return see_other(&format!("/ingredients/{id}")),
            Err(error) => {
                if let Err(other) = keep(&mut errors, error) {
                    return refused(other);
                }
            }
        }
    }
    match ingredient_page(&api, &visit, ingredient_id, &errors, Some(&form)).await {
        Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
        Err(error) => refused(error),
    }
}

/// `POST /lots/{id}/adjust`.
pub(super) async fn adjust<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<AdjustInventory>,
    Path(id): Path<i64>,
    form: Form,
) -> Response {
    let lot_id = Id::new(id);
    // The lot's ingredient, to come back to; another organization's lot
    // is not found.
    let lot = match Lot::find(&visit.scope, lot_id).fetch_one(&api.pool).await {
        Ok(lot) => lot,
        Err(error) => return refused(error),
    };
    let mut errors = Errors::new();
    let kind = match form.text("kind") {
        "spoilage" => Some(AdjustmentKind::Spoilage),
        "recount" => Some(AdjustmentKind::Recount),
        "correction" => Some(AdjustmentKind::Correction),
        _ => {
            errors.insert("", "choose the kind of adjustment".into());
            None
        }
    };
    let quantity = form.amount("quantity", &mut errors);
    if let (Some(kind), Some(quantity), true) = (kind, quantity, errors.is_empty()) {
        let request = AdjustmentRequest {
            lot_id,
            kind,
            quantity,
            reason: form.text("reason").to_owned(),
        };
        match adjust_lot(&api.pool, &visit.scope, request).await {
            Ok(_) => return see_other(&format!("/ingredients/{}", lot.ingredient_id)),
            Err(error) => {
                if let Err(other) = keep(&mut errors, error) {
                    return refused(other);
                }
            }
        }
    }
    // The lot's row has no fields of its own on the page: its errors go
    // to the banner, naming the lot.
    let said = errors
        .iter()
        .map(|(field, message)| {
            if field.is_empty() {
                message.clone()
            } else {
                format!("{field} {message}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut banner = Errors::new();
    banner.insert("", format!("Lot {}: {said}", lot.lot_number));
    match ingredient_page(&api, &visit, lot.ingredient_id, &banner, None).await {
        Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
        Err(error) => refused(error),
    }
}
