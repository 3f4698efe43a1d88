//! Traceability, both ways: from a lot forward to every batch, product
//! inventory and sale that used it, and from a batch or product inventory
//! back to every lot it came from: the recall report.

use serde::Serialize;
use tenancy_core::{Amount, Id, Order, Scope, Scoped};

use super::Store;
use super::models::{Batch, BatchIngredient, Ingredient, Lot, ProductStock, Sale, SaleAllocation};

/// Where one lot went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Forward {
    /// The lot.
    pub lot: Lot,
    /// Every batch that took from it, with how much.
    pub batches: Vec<BatchUse>,
    /// The product inventory those batches made.
    pub products: Vec<ProductStock>,
    /// The sales that took from that inventory, with how much of each.
    pub sales: Vec<SoldFrom>,
}

/// What one batch took from one lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BatchUse {
    /// The batch.
    pub batch: Batch,
    /// How much, in the lot's stock unit.
    pub quantity_used: Amount,
}

/// What one sale took from one product inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SoldFrom {
    /// The sale.
    pub sale: Sale,
    /// The product inventory it took from.
    pub product_inventory_id: Id<ProductStock>,
    /// How many pieces.
    pub quantity: Amount,
}

/// Where one lot went.
///
/// # Errors
///
/// `NotFound` for a lot the organization does not have.
pub async fn forward<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    lot: Id<Lot>,
) -> tenancy_core::Result<Forward> {
    let lot = Lot::find(scope, lot).fetch_one(pool).await?;
    let uses = BatchIngredient::select(scope)
        .filter(BatchIngredient::INVENTORY_ITEM_ID.eq(lot.id))
        .order_by(BatchIngredient::BATCH_ID, Order::Asc)
        .fetch_all(pool)
        .await?;
    let batch_ids: Vec<Id<Batch>> = uses.iter().map(|row| row.batch_id).collect();
    let batches = if batch_ids.is_empty() {
        Vec::new()
    } else {
        Batch::select(scope)
            .filter(Batch::ID.is_in(batch_ids.iter().copied()))
            .order_by(Batch::ID, Order::Asc)
            .fetch_all(pool)
            .await?
    };
    let batches = batches
        .into_iter()
        .map(|batch| {
            let quantity_used = uses
                .iter()
                .filter(|row| row.batch_id == batch.id)
                .try_fold(Amount::ZERO, |sum, row| sum.checked_add(row.quantity_used))
                .unwrap_or(Amount::MAX);
            BatchUse {
                batch,
                quantity_used,
            }
        })
        .collect();
    let products = if batch_ids.is_empty() {
        Vec::new()
    } else {
        ProductStock::select(scope)
            .filter(ProductStock::BATCH_ID.is_in(batch_ids))
            .order_by(ProductStock::ID, Order::Asc)
            .fetch_all(pool)
            .await?
    };
    let sales = sold_from(pool, scope, &products).await?;
    Ok(Forward {
        lot,
        batches,
        products,
        sales,
    })
}

async fn sold_from<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    products: &[ProductStock],
) -> tenancy_core::Result<Vec<SoldFrom>> {
    if products.is_empty() {
        return Ok(Vec::new());
    }
    let allocations = SaleAllocation::select(scope)
        .filter(SaleAllocation::PRODUCT_INVENTORY_ID.is_in(products.iter().map(|p| p.id)))
        .order_by(SaleAllocation::ID, Order::Asc)
        .fetch_all(pool)
        .await?;
    if allocations.is_empty() {
        return Ok(Vec::new());
    }
    let sales = Sale::select(scope)
        .filter(Sale::ID.is_in(allocations.iter().map(|a| a.sale_id)))
        .fetch_all(pool)
        .await?;
    Ok(allocations
        .into_iter()
        .filter_map(|allocation| {
            let sale = sales
                .iter()
                .find(|sale| sale.id == allocation.sale_id)?
                .clone();
            Some(SoldFrom {
                sale,
                product_inventory_id: allocation.product_inventory_id,
                quantity: allocation.quantity,
            })
        })
        .collect())
}

/// Where one batch came from and what it made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Backward {
    /// The batch.
    pub batch: Batch,
    /// Every lot it took from, with how much.
    pub lots: Vec<LotUsed>,
    /// What it made, if finished.
    pub products: Vec<ProductStock>,
}

/// One lot a batch took from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LotUsed {
    /// The ingredient.
    pub ingredient_id: Id<Ingredient>,
    /// Its name.
    pub ingredient: String,
    /// The lot.
    pub lot: Lot,
    /// How much, in the stock unit.
    pub quantity_used: Amount,
    /// At what cost per stock unit.
    pub cost_per_unit: Amount,
}

/// Where one batch came from and what it made.
///
/// # Errors
///
/// `NotFound` for a batch the organization does not have.
pub async fn batch_back<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    batch: Id<Batch>,
) -> tenancy_core::Result<Backward> {
    let batch = Batch::find(scope, batch).fetch_one(pool).await?;
    let used = BatchIngredient::select(scope)
        .filter(BatchIngredient::BATCH_ID.eq(batch.id))
        .order_by(BatchIngredient::ID, Order::Asc)
        .fetch_all(pool)
        .await?;
    let mut lots = Vec::with_capacity(used.len());
    if !used.is_empty() {
        let found = Lot::select(scope)
            .filter(Lot::ID.is_in(used.iter().map(|row| row.inventory_item_id)))
            .fetch_all(pool)
            .await?;
        let ingredients = Ingredient::select(scope)
            .include_inactive()
            .filter(Ingredient::ID.is_in(used.iter().map(|row| row.ingredient_id)))
            .fetch_all(pool)
            .await?;
        for row in used {
            let Some(lot) = found.iter().find(|lot| lot.id == row.inventory_item_id) else {
                continue;
            };
            let ingredient = ingredients
                .iter()
                .find(|ingredient| ingredient.id == row.ingredient_id)
                .map(|ingredient| ingredient.name.clone())
                .unwrap_or_default();
            lots.push(LotUsed {
                ingredient_id: row.ingredient_id,
                ingredient,
                lot: lot.clone(),
                quantity_used: row.quantity_used,
                cost_per_unit: row.cost_per_unit,
            });
        }
    }
    let products = ProductStock::select(scope)
        .filter(ProductStock::BATCH_ID.eq(batch.id))
        .fetch_all(pool)
        .await?;
    Ok(Backward {
        batch,
        lots,
        products,
    })
}

/// Where one product inventory came from: its batch, traced back.
///
/// # Errors
///
/// `NotFound` for a product inventory the organization does not have.
pub async fn product_back<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    product: Id<ProductStock>,
) -> tenancy_core::Result<Backward> {
    let stock = ProductStock::find(scope, product).fetch_one(pool).await?;
    batch_back(pool, scope, stock.batch_id).await
}
