//! Products, their SKUs, and goods leaving: a sale or shipment takes
//! product inventory first in, first out by batch.

use chrono::{NaiveDate, Utc};
use serde::Serialize;
use tenancy_core::{Amount, Id, Order, Scope, Scoped};

use super::catalog::text;
use super::models::{
    NewProduct, NewSale, NewSaleAllocation, NewSku, Product, ProductStock, Sale, SaleAllocation,
    SaleKind, Sku,
};
use super::{DomainError, Store, positive};

/// A new product.
///
/// # Errors
///
/// [`DomainError::Invalid`] for an empty or overlong name; `Conflict` for
/// a name the organization already uses.
pub async fn create_product<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    product_name: &str,
    description: Option<String>,
) -> Result<Product, DomainError> {
    let description = super::catalog::optional_text("description", description.as_deref(), 2000)?;
    let new = NewProduct {
        name: text("name", product_name, 200)?,
        description,
    };
    Ok(Product::insert(scope, new).execute(pool).await?)
}

/// A new SKU of a product.
///
/// # Errors
///
/// [`DomainError::Invalid`] for an empty code or name, a negative or
/// absurd price; `Invalid` naming `product_id` for a product the
/// organization does not have; `Conflict` for a code already used.
pub async fn create_sku<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    product: Id<Product>,
    sku: &str,
    sku_name: &str,
    price: Amount,
) -> Result<Sku, DomainError> {
    if price.is_negative() || price > super::MAX_QUANTITY {
        return Err(DomainError::invalid(
            "price",
            "must be between 0 and 1 000 000 000",
        ));
    }
    let new = NewSku {
        product_id: product,
        sku: text("sku", sku, 64)?,
        name: text("name", sku_name, 200)?,
        price,
    };
    Ok(Sku::insert(scope, new).execute(pool).await?)
}

/// Goods leaving.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaleRequest {
    /// The SKU.
    pub sku_id: Id<Sku>,
    /// Sale or shipment.
    pub kind: SaleKind,
    /// How many pieces.
    pub quantity: Amount,
    /// An order number, a customer: free text.
    pub reference: Option<String>,
}

/// A recorded sale with what it took from each batch's goods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Recorded {
    /// The sale.
    pub sale: Sale,
    /// One row per product inventory taken from, oldest first.
    pub allocations: Vec<SaleAllocation>,
}

/// Records a sale or shipment on `today`: takes the quantity from the
/// SKU's product inventory that has not expired, oldest batch first.
///
/// # Errors
///
/// [`DomainError::NotEnoughGoods`] when the goods do not cover it (nothing
/// is taken); [`DomainError::Invalid`] for a quantity not more than zero
/// or absurd; `NotFound` for a SKU the organization does not have.
pub async fn record_sale<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    request: SaleRequest,
    today: NaiveDate,
) -> Result<Recorded, DomainError> {
    let quantity = positive("quantity", request.quantity)?;
    let reference = super::catalog::optional_text("reference", request.reference.as_deref(), 200)?;
    let (sku_id, kind) = (request.sku_id, request.kind);
    scope
        .write(pool, |tx| {
            let reference = reference.clone();
            Box::pin(async move {
                let sku = Sku::find(scope, sku_id).fetch_one(&mut *tx).await?;
                let stocks = ProductStock::select(scope)
                    .filter(
                        ProductStock::SKU_ID
                            .eq(sku.id)
                            .and(ProductStock::QUANTITY.gt(Amount::ZERO))
                            .and(
                                ProductStock::EXPIRES_ON
                                    .is_null()
                                    .or(ProductStock::EXPIRES_ON.gte(today)),
                            ),
                    )
                    .order_by(ProductStock::CREATED_AT, Order::Asc)
                    .order_by(ProductStock::ID, Order::Asc)
                    .for_update()
                    .fetch_all(&mut *tx)
                    .await?;
                let available = stocks
                    .iter()
                    .try_fold(Amount::ZERO, |sum, stock| sum.checked_add(stock.quantity))
                    .unwrap_or(Amount::MAX);
                if available < quantity {
                    return Ok(Err(DomainError::NotEnoughGoods {
                        sku_id: sku.id,
                        needed: quantity,
                        available,
                    }));
                }
                let sale = Sale::insert(
                    scope,
                    NewSale {
                        sku_id: sku.id,
                        kind,
                        quantity,
                        reference,
                        recorded_by: scope.actor().user(),
                        created_at: Utc::now(),
                    },
                )
                .execute(&mut *tx)
                .await?;
                let mut left = quantity;
                let mut allocations = Vec::new();
                for stock in stocks {
                    if !left.is_positive() {
                        break;
                    }
                    let take = left.min(stock.quantity);
                    left = left.checked_sub(take).unwrap_or(Amount::ZERO);
                    ProductStock::update(scope, stock.id)
                        .subtract(ProductStock::QUANTITY, take)
                        .only_if(ProductStock::QUANTITY.gte(take))
                        .execute(&mut *tx)
                        .await?;
                    let allocation = SaleAllocation::insert(
                        scope,
                        NewSaleAllocation {
                            sale_id: sale.id,
                            product_inventory_id: stock.id,
                            quantity: take,
                        },
                    )
                    .execute(&mut *tx)
                    .await?;
                    allocations.push(allocation);
                }
                Ok(Ok(Recorded { sale, allocations }))
            })
        })
        .await?
}

/// The product inventory of a SKU, oldest first, empty rows included.
///
/// # Errors
///
/// `NotFound` for a SKU the organization does not have.
pub async fn product_stock<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    sku: Id<Sku>,
) -> tenancy_core::Result<Vec<ProductStock>> {
    Sku::find(scope, sku).fetch_one(pool).await?;
    ProductStock::select(scope)
        .filter(ProductStock::SKU_ID.eq(sku))
        .order_by(ProductStock::CREATED_AT, Order::Asc)
        .order_by(ProductStock::ID, Order::Asc)
        .fetch_all(pool)
        .await
}
