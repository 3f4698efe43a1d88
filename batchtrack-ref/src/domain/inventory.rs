//! Ingredients and their lots: receiving, first-in-first-out order,
//! adjustments, expiry and low stock.
//!
//! A lot's quantity moves only through a relative, guarded update in the
//! same write transaction as its history row, so that the history of
//! every lot adds up to what it holds, whatever runs at the same time,
//! and no lot goes below zero (the database's `CHECK` would refuse it
//! too).

use chrono::{NaiveDate, Utc};
use serde::Serialize;
use tenancy_core::{Amount, Id, NullOrdering, Order, Scope, Scoped};

use super::models::{
    Adjustment, AdjustmentKind, ConsumptionOrder, Ingredient, InventorySettings, Lot, Movement,
    MovementKind, NewAdjustment, NewInventorySettings, NewLot, NewMovement, Unit,
};
use super::permissions::AdjustInventory;
use super::units::UnitBook;
use super::{DomainError, Store, positive};

/// Which lot batches take first in the scope's organization.
///
/// # Errors
///
/// When the statement fails.
pub async fn consumption_order<'c, A, DB>(
    conn: A,
    scope: &Scope,
) -> tenancy_core::Result<ConsumptionOrder>
where
    A: sqlx::Acquire<'c, Database = DB> + Send + 'c,
    DB: Store,
{
    let settings = InventorySettings::select(scope)
        .limit(1)
        .fetch_all(conn)
        .await?;
    Ok(settings
        .first()
        .map(|settings| settings.consumption_order)
        .unwrap_or_default())
}

/// Sets which lot batches take first.
///
/// # Errors
///
/// When the statements fail.
pub async fn set_consumption_order<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    order: ConsumptionOrder,
) -> tenancy_core::Result<()> {
    let write = || {
        scope.write(pool, |tx| {
            Box::pin(async move {
                let changed =
                    InventorySettings::update_matching(scope, InventorySettings::ID.gt(Id::new(0)))
                        .set(InventorySettings::CONSUMPTION_ORDER, order)
                        .execute(&mut *tx)
                        .await?;
                if changed == 0 {
                    let new = NewInventorySettings {
                        consumption_order: order,
                    };
                    InventorySettings::insert(scope, new)
                        .execute(&mut *tx)
                        .await?;
                }
                Ok(())
            })
        })
    };
    match write().await {
        // Another first setting won the row: this one updates it now.
        Err(tenancy_core::Error::Conflict { .. }) => write().await,
        other => other,
    }
}

/// A lot as received, in the unit it was bought in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// What it is a lot of.
    pub ingredient_id: Id<Ingredient>,
    /// The supplier's lot number.
    pub lot_number: String,
    /// Who supplied it.
    pub supplier: Option<String>,
    /// How much, in `unit_id`.
    pub quantity: Amount,
    /// The unit it was bought in: any that converts to the ingredient's
    /// stock unit.
    pub unit_id: Id<Unit>,
    /// Cost per `unit_id`.
    pub cost_per_unit: Amount,
    /// The day it arrived.
    pub received_on: NaiveDate,
    /// The last day it may be used, if it expires.
    pub expires_on: Option<NaiveDate>,
}

/// Receives a lot: its quantity and cost converted to the ingredient's
/// stock unit, with its receipt in the history.
///
/// # Errors
///
/// [`DomainError::Invalid`] for a quantity not more than zero or absurd,
/// a negative cost, an empty lot number, an expiry before receipt;
/// [`DomainError::Conversion`] when the unit does not convert;
/// `NotFound` for an ingredient the organization does not have.
pub async fn receive<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    units: &UnitBook,
    receipt: Receipt,
) -> Result<Lot, DomainError> {
    let quantity = positive("quantity", receipt.quantity)?;
    if receipt.cost_per_unit.is_negative() || receipt.cost_per_unit > super::MAX_QUANTITY {
        return Err(DomainError::invalid(
            "cost_per_unit",
            "must be between 0 and 1 000 000 000",
        ));
    }
    let lot_number = super::catalog::text("lot_number", &receipt.lot_number, 100)?;
    let supplier = super::catalog::optional_text("supplier", receipt.supplier.as_deref(), 200)?;
    super::plausible_date("received_on", Some(receipt.received_on))?;
    super::plausible_date("expires_on", receipt.expires_on)?;
    if receipt
        .expires_on
        .is_some_and(|expiry| expiry < receipt.received_on)
    {
        return Err(DomainError::invalid(
            "expires_on",
            "is before the day it was received",
        ));
    }
    let ingredient = Ingredient::find(scope, receipt.ingredient_id)
        .fetch_one(pool)
        .await?;
    let stock_quantity = units.convert(
        quantity,
        receipt.unit_id,
        ingredient.stock_unit_id,
        (&ingredient).into(),
    )?;
    if stock_quantity > super::MAX_QUANTITY {
        return Err(DomainError::invalid(
            "quantity",
            "is beyond 1 000 000 000 of the stock unit",
        ));
    }
    if !stock_quantity.is_positive() {
        return Err(DomainError::invalid(
            "quantity",
            "is less than a millionth of the stock unit",
        ));
    }
    let total = quantity.checked_mul(receipt.cost_per_unit).ok_or_else(|| {
        DomainError::invalid("cost_per_unit", "quantity times cost is out of range")
    })?;
    let cost_per_stock_unit = total
        .checked_div(stock_quantity)
        .ok_or_else(|| DomainError::invalid("cost_per_unit", "is out of range"))?;
    let new = NewLot {
        ingredient_id: ingredient.id,
        lot_number,
        supplier,
        received_on: receipt.received_on,
        expires_on: receipt.expires_on,
        received_quantity: stock_quantity,
        quantity: stock_quantity,
        cost_per_unit: cost_per_stock_unit,
        purchase_unit_id: receipt.unit_id,
        purchase_quantity: quantity,
        purchase_cost_per_unit: receipt.cost_per_unit,
        received_by: scope.actor().user(),
        created_at: Utc::now(),
    };
    let lot = scope
        .write(pool, |tx| {
            let new = new.clone();
            Box::pin(async move {
                let lot = Lot::insert(scope, new).execute(&mut *tx).await?;
                Movement::insert(
                    scope,
                    movement(
                        scope,
                        (lot.id, lot.ingredient_id),
                        MovementKind::Receipt,
                        lot.quantity,
                        Cause::None,
                    ),
                )
                .execute(&mut *tx)
                .await?;
                Ok(lot)
            })
        })
        .await?;
    Ok(lot)
}

/// What caused a movement, besides its kind.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cause {
    None,
    Batch(Id<super::models::Batch>),
    Adjustment(Id<Adjustment>),
}

/// The history row of a movement of `lot` by `change`, done by the
/// scope's actor.
pub(crate) fn movement(
    scope: &Scope,
    (lot, ingredient): (Id<Lot>, Id<Ingredient>),
    kind: MovementKind,
    change: Amount,
    cause: Cause,
) -> NewMovement {
    let (batch_id, adjustment_id) = match cause {
        Cause::None => (None, None),
        Cause::Batch(batch) => (Some(batch), None),
        Cause::Adjustment(adjustment) => (None, Some(adjustment)),
    };
    NewMovement {
        inventory_item_id: lot,
        ingredient_id: ingredient,
        kind,
        quantity_change: change,
        batch_id,
        adjustment_id,
        user_id: scope.actor().user(),
        created_at: Utc::now(),
    }
}

/// The lots of `ingredient` a batch may take from on `today` (not expired,
/// not empty), in the order it takes them.
pub(crate) fn usable_lots(
    scope: &Scope,
    ingredient: Id<Ingredient>,
    today: NaiveDate,
    order: ConsumptionOrder,
) -> tenancy_core::Select<Lot> {
    let select = Lot::select(scope).filter(
        Lot::INGREDIENT_ID
            .eq(ingredient)
            .and(Lot::QUANTITY.gt(Amount::ZERO))
            .and(Lot::EXPIRES_ON.is_null().or(Lot::EXPIRES_ON.gte(today))),
    );
    let select = match order {
        ConsumptionOrder::ReceivedFirst => select,
        ConsumptionOrder::ExpiringFirst => {
            select.order_by_nulls(Lot::EXPIRES_ON, Order::Asc, NullOrdering::Last)
        }
    };
    select
        .order_by(Lot::RECEIVED_ON, Order::Asc)
        .order_by(Lot::ID, Order::Asc)
}

/// A manual correction of one lot.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentRequest {
    /// The lot.
    pub lot_id: Id<Lot>,
    /// Spoilage: `quantity` left (more than zero); recount: the lot holds
    /// `quantity` (zero or more); correction: `quantity` is the signed
    /// change (not zero).
    pub kind: AdjustmentKind,
    /// In the ingredient's stock unit; see `kind`.
    pub quantity: Amount,
    /// Why, in words.
    pub reason: String,
}

/// Adjusts a lot by hand, approved by the scope's user, who must hold
/// [`AdjustInventory`]; writes the adjustment and its history row.
///
/// # Errors
///
/// `Forbidden` without the permission; [`DomainError::Invalid`] for an
/// empty reason, a change of nothing, a quantity out of range, or one that
/// would take the lot below zero; `NotFound` for a lot the organization
/// does not have.
pub async fn adjust<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    request: AdjustmentRequest,
) -> Result<Adjustment, DomainError> {
    let reason = super::catalog::text("reason", &request.reason, 500)?;
    if request
        .quantity
        .checked_sub(super::MAX_QUANTITY)
        .is_some_and(Amount::is_positive)
        || super::MAX_QUANTITY
            .checked_add(request.quantity)
            .is_some_and(Amount::is_negative)
    {
        return Err(DomainError::invalid(
            "quantity",
            "is beyond 1 000 000 000 either way",
        ));
    }
    match request.kind {
        AdjustmentKind::Spoilage => {
            positive("quantity", request.quantity)?;
        }
        AdjustmentKind::Recount if request.quantity.is_negative() => {
            return Err(DomainError::invalid("quantity", "a count is zero or more"));
        }
        AdjustmentKind::Correction if request.quantity.is_zero() => {
            return Err(DomainError::invalid(
                "quantity",
                "a correction changes something",
            ));
        }
        _ => {}
    }
    scope
        .write(pool, |tx| {
            let reason = reason.clone();
            let request = request.clone();
            Box::pin(async move {
                tenancy_access::require::<AdjustInventory, _, _>(&mut *tx, scope).await?;
                let lot = Lot::select(scope)
                    .filter(Lot::ID.eq(request.lot_id))
                    .for_update()
                    .fetch_all(&mut *tx)
                    .await?
                    .pop()
                    .ok_or(tenancy_core::Error::NotFound {
                        table: "inventory_items",
                    })?;
                let change = match request.kind {
                    AdjustmentKind::Spoilage => Amount::ZERO.checked_sub(request.quantity),
                    AdjustmentKind::Recount => request.quantity.checked_sub(lot.quantity),
                    AdjustmentKind::Correction => Some(request.quantity),
                };
                let Some(change) = change.filter(|change| !change.is_zero()) else {
                    return Ok(Err(DomainError::invalid(
                        "quantity",
                        "the lot already holds that",
                    )));
                };
                let after = lot.quantity.checked_add(change);
                if after.is_some_and(|after| after > super::MAX_QUANTITY) {
                    return Ok(Err(DomainError::invalid(
                        "quantity",
                        "the lot would hold more than 1 000 000 000",
                    )));
                }
                if after.is_none_or(Amount::is_negative) {
                    return Ok(Err(DomainError::invalid(
                        "quantity",
                        format!("the lot holds {}: it cannot go below zero", lot.quantity),
                    )));
                }
                let adjustment = Adjustment::insert(
                    scope,
                    NewAdjustment {
                        inventory_item_id: lot.id,
                        adjustment_type: request.kind,
                        quantity_change: change,
                        reason,
                        approved_by: scope.actor().user(),
                        created_at: Utc::now(),
                    },
                )
                .execute(&mut *tx)
                .await?;
                move_lot(&mut *tx, scope, lot.id, change).await?;
                Movement::insert(
                    scope,
                    movement(
                        scope,
                        (lot.id, lot.ingredient_id),
                        MovementKind::Adjustment,
                        change,
                        Cause::Adjustment(adjustment.id),
                    ),
                )
                .execute(&mut *tx)
                .await?;
                Ok(Ok(adjustment))
            })
        })
        .await?
}

/// Moves `lot`'s quantity by `change` (either sign), guarded so that it
/// never goes below zero.
pub(crate) async fn move_lot<'c, A, DB>(
    conn: A,
    scope: &Scope,
    lot: Id<Lot>,
    change: Amount,
) -> tenancy_core::Result<Lot>
where
    A: sqlx::Acquire<'c, Database = DB> + Send + 'c,
    DB: Store,
{
    let update = Lot::update(scope, lot);
    let update = if change.is_negative() {
        let taken = Amount::ZERO.checked_sub(change).unwrap_or(Amount::MAX);
        update
            .subtract(Lot::QUANTITY, taken)
            .only_if(Lot::QUANTITY.gte(taken))
    } else {
        update.add(Lot::QUANTITY, change)
    };
    update.execute(conn).await
}

/// The lots that expired before `today` and still hold stock: never
/// consumed, to be used up otherwise or written off.
///
/// # Errors
///
/// When the statement fails.
pub async fn expired_lots<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    today: NaiveDate,
) -> tenancy_core::Result<Vec<Lot>> {
    Lot::select(scope)
        .filter(
            Lot::EXPIRES_ON
                .lt(today)
                .and(Lot::QUANTITY.gt(Amount::ZERO)),
        )
        .order_by(Lot::EXPIRES_ON, Order::Asc)
        .order_by(Lot::ID, Order::Asc)
        .fetch_all(pool)
        .await
}

/// The lots that still hold stock and expire from `today` to `until`,
/// soonest first: to use before they are lost.
///
/// # Errors
///
/// When the statement fails.
pub async fn expiring_lots<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    today: NaiveDate,
    until: NaiveDate,
) -> tenancy_core::Result<Vec<Lot>> {
    Lot::select(scope)
        .filter(
            Lot::EXPIRES_ON
                .gte(today)
                .and(Lot::EXPIRES_ON.lte(until))
                .and(Lot::QUANTITY.gt(Amount::ZERO)),
        )
        .order_by(Lot::EXPIRES_ON, Order::Asc)
        .order_by(Lot::ID, Order::Asc)
        .fetch_all(pool)
        .await
}

/// An ingredient whose usable stock is below its threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LowStock {
    /// The ingredient.
    pub ingredient: Ingredient,
    /// What its lots that are not expired hold, in its stock unit.
    pub on_hand: Amount,
    /// Its threshold.
    pub threshold: Amount,
}

/// The active ingredients with a threshold whose stock in lots that are
/// not expired on `today` is below it, by name.
///
/// # Errors
///
/// When the statements fail.
pub async fn low_stock<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    today: NaiveDate,
) -> tenancy_core::Result<Vec<LowStock>> {
    let ingredients = Ingredient::select(scope)
        .filter(Ingredient::LOW_STOCK_THRESHOLD.is_not_null())
        .order_by(Ingredient::NAME, Order::Asc)
        .fetch_all(pool)
        .await?;
    let on_hand = usable_stock(pool, scope, today).await?;
    Ok(ingredients
        .into_iter()
        .filter_map(|ingredient| {
            let threshold = ingredient.low_stock_threshold?;
            let on_hand = on_hand
                .iter()
                .find(|(id, _)| *id == ingredient.id)
                .map_or(Amount::ZERO, |(_, sum)| *sum);
            (on_hand < threshold).then_some(LowStock {
                ingredient,
                on_hand,
                threshold,
            })
        })
        .collect())
}

/// What the lots that are not expired on `today` hold, per ingredient, in
/// its stock unit: one statement.
///
/// # Errors
///
/// When the statement fails.
pub async fn usable_stock<'c, A, DB>(
    pool: A,
    scope: &Scope,
    today: NaiveDate,
) -> tenancy_core::Result<Vec<(Id<Ingredient>, Amount)>>
where
    A: sqlx::Acquire<'c, Database = DB> + Send + 'c,
    DB: Store,
{
    Lot::select(scope)
        .filter(Lot::EXPIRES_ON.is_null().or(Lot::EXPIRES_ON.gte(today)))
        .group_by(Lot::INGREDIENT_ID)
        .sum(Lot::QUANTITY)
        .fetch(pool)
        .await
}

/// The movements of one lot, oldest first.
///
/// # Errors
///
/// `NotFound` for a lot the organization does not have.
pub async fn lot_history<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    lot: Id<Lot>,
) -> tenancy_core::Result<Vec<Movement>> {
    Lot::find(scope, lot).fetch_one(pool).await?;
    Movement::select(scope)
        .filter(Movement::INVENTORY_ITEM_ID.eq(lot))
        .order_by(Movement::ID, Order::Asc)
        .fetch_all(pool)
        .await
}
