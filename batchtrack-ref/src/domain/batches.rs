//! Batches: start (take ingredients first in, first out, in one write
//! transaction), finish (make product inventory at the cost of the lots
//! actually used) and cancel (give back exactly what was taken).
//!
//! A batch moves from in progress to finished or cancelled, never back and
//! never twice: each move is a guarded update of its status, so two
//! requests finishing the same batch cannot both succeed.

use chrono::{NaiveDate, Utc};
use serde::Serialize;
use tenancy_core::{Amount, Id, Order, Scope, Scoped};

use super::inventory::{Cause, consumption_order, move_lot, movement, usable_lots};
use super::models::{
    Batch, BatchIngredient, BatchStatus, Lot, Movement, MovementKind, NewBatch, NewBatchIngredient,
    NewProductStock, ProductStock, Recipe, Sku,
};
use super::stock::{StockLine, requirements};
use super::units::UnitBook;
use super::{DomainError, Store, positive};

/// A batch just started, with what it took from each lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Started {
    /// The batch, in progress.
    pub batch: Batch,
    /// One row per lot taken from.
    pub used: Vec<BatchIngredient>,
}

/// Starts a batch of `recipe` at `scale` on `today`: for each ingredient,
/// takes the need from its usable lots in the organization's consumption
/// order, records what each lot gave and at what cost, and writes the
/// history; all in one write transaction.
///
/// # Errors
///
/// [`DomainError::ShortStock`] listing every ingredient that is short
/// (nothing is taken); [`DomainError::Invalid`] for a scale not more than
/// zero or absurd; [`DomainError::Conversion`]; `NotFound` for a recipe
/// the organization does not have.
pub async fn start<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    units: &UnitBook,
    recipe: Id<Recipe>,
    scale: Amount,
    today: NaiveDate,
) -> Result<Started, DomainError> {
    let scale = positive("scale", scale)?;
    scope
        .write(pool, |tx| {
            Box::pin(async move {
                let (recipe, requirements) =
                    match requirements(&mut *tx, scope, units, recipe, scale).await {
                        Ok(found) => found,
                        Err(DomainError::Library(error)) => return Err(error),
                        Err(refusal) => return Ok(Err(refusal)),
                    };
                if requirements.is_empty() {
                    return Ok(Err(DomainError::invalid(
                        "recipe_id",
                        "the recipe has no ingredients",
                    )));
                }
                let order = consumption_order(&mut *tx, scope).await?;
                // Plan every ingredient before writing anything, so that a
                // shortfall leaves the stock untouched. Lots are locked in
                // one order (ingredient, then consumption order) everywhere.
                let mut plan: Vec<(Lot, Amount)> = Vec::new();
                let mut short = Vec::new();
                for requirement in &requirements {
                    let lots = usable_lots(scope, requirement.ingredient.id, today, order)
                        .for_update()
                        .fetch_all(&mut *tx)
                        .await?;
                    let mut left = requirement.needed_in_stock_unit;
                    let mut available = Amount::ZERO;
                    for lot in lots {
                        available = available.checked_add(lot.quantity).unwrap_or(Amount::MAX);
                        if left.is_positive() {
                            let take = left.min(lot.quantity);
                            left = left.checked_sub(take).unwrap_or(Amount::ZERO);
                            plan.push((lot, take));
                        }
                    }
                    if left.is_positive() {
                        let ingredient = &requirement.ingredient;
                        let in_recipe_unit = units
                            .convert(
                                available,
                                ingredient.stock_unit_id,
                                requirement.line.unit_id,
                                ingredient.into(),
                            )
                            .unwrap_or(Amount::ZERO);
                        let line = StockLine {
                            ingredient_id: ingredient.id,
                            ingredient: ingredient.name.clone(),
                            unit_id: requirement.line.unit_id,
                            needed: requirement.needed,
                            available: in_recipe_unit,
                            short_by: requirement
                                .needed
                                .checked_sub(in_recipe_unit)
                                .filter(|gap| gap.is_positive())
                                .unwrap_or(Amount::from_micros(1)),
                        };
                        short.push(line.shortfall());
                    }
                }
                if !short.is_empty() {
                    return Ok(Err(DomainError::ShortStock(short)));
                }
                let mut total_cost = Amount::ZERO;
                for (lot, take) in &plan {
                    let cost = take.checked_mul(lot.cost_per_unit);
                    total_cost = match cost.and_then(|cost| total_cost.checked_add(cost)) {
                        Some(total) => total,
                        None => {
                            return Ok(Err(DomainError::invalid(
                                "scale",
                                "the batch's cost is out of range",
                            )));
                        }
                    };
                }
                let batch = Batch::insert(
                    scope,
                    NewBatch {
                        recipe_id: recipe.id,
                        scale,
                        status: BatchStatus::InProgress,
                        total_cost,
                        started_by: scope.actor().user(),
                        started_at: Utc::now(),
                        ended_at: None,
                    },
                )
                .execute(&mut *tx)
                .await?;
                let mut movements = Vec::with_capacity(plan.len());
                let mut rows = Vec::with_capacity(plan.len());
                for (lot, take) in &plan {
                    let taken = Amount::ZERO.checked_sub(*take).unwrap_or(Amount::MIN);
                    move_lot(&mut *tx, scope, lot.id, taken).await?;
                    let key = (lot.id, lot.ingredient_id);
                    movements.push(movement(
                        scope,
                        key,
                        MovementKind::BatchUse,
                        taken,
                        Cause::Batch(batch.id),
                    ));
                    rows.push(NewBatchIngredient {
                        batch_id: batch.id,
                        ingredient_id: lot.ingredient_id,
                        inventory_item_id: lot.id,
                        quantity_used: *take,
                        cost_per_unit: lot.cost_per_unit,
                    });
                }
                Movement::insert_many(scope, movements)
                    .execute(&mut *tx)
                    .await?;
                let mut used = BatchIngredient::insert_many(scope, rows)
                    .execute(&mut *tx)
                    .await?;
                used.sort_by_key(|row| row.id);
                Ok(Ok(Started { batch, used }))
            })
        })
        .await?
}

/// What a finished batch made.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Finish {
    /// The SKU it made.
    pub sku_id: Id<Sku>,
    /// How many pieces.
    pub yield_quantity: Amount,
    /// The code on its labels, unique in the organization; `B<id>-<date>`
    /// when none is given.
    pub batch_code: Option<String>,
    /// The last day the goods may be sold, if they expire.
    pub expires_on: Option<NaiveDate>,
}

/// Finishes a batch in progress: its product inventory, at the batch's
/// cost divided by the yield.
///
/// # Errors
///
/// [`DomainError::BatchNotInProgress`] for a finished or cancelled batch;
/// [`DomainError::Invalid`] for a yield not more than zero or absurd, an
/// empty or overlong code; `NotFound` for a batch or SKU the organization
/// does not have; `Conflict` for a code already used.
pub async fn finish<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    batch: Id<Batch>,
    finish: Finish,
    today: NaiveDate,
) -> Result<ProductStock, DomainError> {
    let yield_quantity = positive("yield_quantity", finish.yield_quantity)?;
    super::plausible_date("expires_on", finish.expires_on)?;
    let code = match finish.batch_code.as_deref().map(str::trim) {
        Some(code) if code.is_empty() || code.len() > 64 => {
            return Err(DomainError::invalid(
                "batch_code",
                "must be 1 to 64 characters",
            ));
        }
        Some(code) => code.to_owned(),
        None => format!("B{}-{}", batch.get(), today.format("%Y%m%d")),
    };
    let (sku_id, expires_on) = (finish.sku_id, finish.expires_on);
    let result = scope
        .write(pool, |tx| {
            let code = code.clone();
            Box::pin(async move {
                let sku = Sku::find(scope, sku_id).fetch_one(&mut *tx).await?;
                let ended = end(&mut *tx, scope, batch, BatchStatus::Finished).await?;
                let Some(cost_per_unit) = ended.total_cost.checked_div(yield_quantity) else {
                    return Err(tenancy_core::Error::invalid(
                        "yield_quantity",
                        "the batch's cost divided by it is out of range",
                    ));
                };
                ProductStock::insert(
                    scope,
                    NewProductStock {
                        sku_id: sku.id,
                        batch_id: ended.id,
                        batch_code: code,
                        produced_quantity: yield_quantity,
                        quantity: yield_quantity,
                        cost_per_unit,
                        expires_on,
                        created_at: Utc::now(),
                    },
                )
                .execute(&mut *tx)
                .await
            })
        })
        .await;
    refused_move(pool, scope, batch, result).await
}

/// Cancels a batch in progress and gives every lot back exactly what the
/// batch took from it, with the history.
///
/// # Errors
///
/// [`DomainError::BatchNotInProgress`] for a finished or cancelled batch;
/// `NotFound` for a batch the organization does not have.
pub async fn cancel<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    batch: Id<Batch>,
) -> Result<Batch, DomainError> {
    let result = scope
        .write(pool, |tx| {
            Box::pin(async move {
                let ended = end(&mut *tx, scope, batch, BatchStatus::Cancelled).await?;
                let used = BatchIngredient::select(scope)
                    .filter(BatchIngredient::BATCH_ID.eq(batch))
                    .order_by(BatchIngredient::INVENTORY_ITEM_ID, Order::Asc)
                    .fetch_all(&mut *tx)
                    .await?;
                let mut movements = Vec::with_capacity(used.len());
                for row in used {
                    move_lot(&mut *tx, scope, row.inventory_item_id, row.quantity_used).await?;
                    let key = (row.inventory_item_id, row.ingredient_id);
                    movements.push(movement(
                        scope,
                        key,
                        MovementKind::BatchReturn,
                        row.quantity_used,
                        Cause::Batch(batch),
                    ));
                }
                Movement::insert_many(scope, movements)
                    .execute(&mut *tx)
                    .await?;
                Ok(ended)
            })
        })
        .await;
    refused_move(pool, scope, batch, result).await
}

/// Moves a batch in progress to `status`, guarded on its status.
async fn end<'c, A, DB>(
    conn: A,
    scope: &Scope,
    batch: Id<Batch>,
    status: BatchStatus,
) -> tenancy_core::Result<Batch>
where
    A: sqlx::Acquire<'c, Database = DB> + Send + 'c,
    DB: Store,
{
    Batch::update(scope, batch)
        .set(Batch::STATUS, status)
        .set(Batch::ENDED_AT, Some(Utc::now()))
        .only_if(Batch::STATUS.eq(BatchStatus::InProgress))
        .execute(conn)
        .await
}

/// A batch's guarded move that failed its guard, as the status it is in.
async fn refused_move<DB: Store, T>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    batch: Id<Batch>,
    result: tenancy_core::Result<T>,
) -> Result<T, DomainError> {
    match result {
        Ok(value) => Ok(value),
        Err(tenancy_core::Error::ConditionFailed { table: "batches" }) => {
            let status = Batch::find(scope, batch).fetch_one(pool).await?.status;
            Err(DomainError::BatchNotInProgress { status })
        }
        Err(error) => Err(error.into()),
    }
}

/// The batches of the organization, newest first, at most `limit`.
///
/// # Errors
///
/// When the statement fails.
pub async fn batches<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    status: Option<BatchStatus>,
    limit: u64,
) -> tenancy_core::Result<Vec<Batch>> {
    Batch::select(scope)
        .apply_if(status, |select, status| {
            select.filter(Batch::STATUS.eq(status))
        })
        .order_by(Batch::ID, Order::Desc)
        .limit(limit)
        .fetch_all(pool)
        .await
}
