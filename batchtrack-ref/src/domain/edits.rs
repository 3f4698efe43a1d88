//! Edits of catalog rows (categories, ingredients, recipes, products,
//! SKUs), guarded by the version the editor last read: two people
//! editing the same ingredient cannot silently undo each other's change.
//!
//! A row's [`version`] is a hash of what it holds. An edit names the
//! version it was made against; in one write transaction the row is read
//! and locked, its version compared, and the change written, so that a
//! concurrent edit either lands first (and this one is refused with
//! [`DomainError::Stale`]) or waits.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tenancy_core::{Amount, Id, Scope, Scoped, Select, Stores};

use super::catalog::{optional_text, text};
use super::models::{Category, Ingredient, Product, Recipe, Sku};
use super::{DomainError, MAX_QUANTITY, Store, positive};

/// The version of `row`: the first 16 bytes of the SHA-256 of its JSON,
/// in hex. Any change of any field changes it.
#[must_use]
pub fn version<T: Serialize>(row: &T) -> String {
    let json = serde_json::to_vec(row).unwrap_or_default();
    hex::encode(&Sha256::digest(&json)[..16])
}

/// Reads a field that may be left out, set, or set to `null`: left out
/// is `None`, `null` is `Some(None)`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// The one row `select` finds, locked in `tx`, if its version is
/// `expected` (any version for `None`: an edit that means to overwrite).
async fn current<M, DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    select: Select<M>,
    table: &'static str,
    expected: Option<&str>,
) -> tenancy_core::Result<Result<M, DomainError>>
where
    M: Scoped + Serialize,
    DB: Store + Stores<M>,
{
    let row = select
        .for_update()
        .fetch_all(tx)
        .await?
        .pop()
        .ok_or(tenancy_core::Error::NotFound { table })?;
    let now = version(&row);
    Ok(if expected.is_none_or(|expected| expected == now) {
        Ok(row)
    } else {
        Err(DomainError::Stale { version: now })
    })
}

/// Changes to a category; a field left out is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryEdit {
    /// A new name, unique in the organization.
    pub name: Option<String>,
    /// A new colour `#rrggbb`, or `null` for none.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub color: Option<Option<String>>,
}

/// Edits a category at `expected`, its version as last read.
///
/// # Errors
///
/// [`DomainError::Stale`] when it changed since; `Invalid` for an empty
/// name or a malformed colour; `NotFound`; `Conflict` for a name used.
pub async fn edit_category<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    id: Id<Category>,
    expected: Option<&str>,
    edit: CategoryEdit,
) -> Result<Category, DomainError> {
    let name = edit
        .name
        .as_deref()
        .map(|n| text("name", n, 100))
        .transpose()?;
    let color = edit
        .color
        .map(|color| color.as_deref().map(super::catalog::color).transpose())
        .transpose()?
        .map(Option::flatten);
    scope
        .write(pool, |tx| {
            let (name, color) = (name.clone(), color.clone());
            Box::pin(async move {
                let select = Category::select(scope).filter(Category::ID.eq(id));
                if let Err(stale) = current(&mut *tx, select, "categories", expected).await? {
                    return Ok(Err(stale));
                }
                let update = Category::update(scope, id)
                    .apply_if(name, |u, name| u.set(Category::NAME, name))
                    .apply_if(color, |u, color| u.set(Category::COLOR, color));
                Ok(Ok(update.execute(&mut *tx).await?))
            })
        })
        .await?
}

/// Changes to an ingredient; a field left out is kept. Its stock unit is
/// fixed: its lots are counted in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IngredientEdit {
    /// A new name, unique in the organization.
    pub name: Option<String>,
    /// A new category, or `null` for none.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub category_id: Option<Option<Id<Category>>>,
    /// Grams per millilitre, or `null`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub density: Option<Option<Amount>>,
    /// Grams per piece, or `null`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub unit_weight: Option<Option<Amount>>,
    /// The low-stock threshold in the stock unit, or `null`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub low_stock_threshold: Option<Option<Amount>>,
}

/// Edits an ingredient at `expected`, its version as last read.
///
/// # Errors
///
/// [`DomainError::Stale`] when it changed since; `Invalid` for an empty
/// name, a density or unit weight not more than zero, a threshold out of
/// range, a category the organization does not have; `NotFound`;
/// `Conflict` for a name used.
pub async fn edit_ingredient<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    id: Id<Ingredient>,
    expected: Option<&str>,
    edit: IngredientEdit,
) -> Result<Ingredient, DomainError> {
    let name = edit
        .name
        .as_deref()
        .map(|n| text("name", n, 200))
        .transpose()?;
    let measure = |field, value: Option<Option<Amount>>| {
        value
            .map(|value| value.map(|v| positive(field, v)).transpose())
            .transpose()
    };
    let density = measure("density", edit.density)?;
    let unit_weight = measure("unit_weight", edit.unit_weight)?;
    if let Some(Some(threshold)) = edit.low_stock_threshold
        && (threshold.is_negative() || threshold > MAX_QUANTITY)
    {
        return Err(DomainError::invalid(
            "low_stock_threshold",
            "must be between 0 and 1 000 000 000",
        ));
    }
    let (category, threshold) = (edit.category_id, edit.low_stock_threshold);
    scope
        .write(pool, |tx| {
            let name = name.clone();
            Box::pin(async move {
                let select = Ingredient::select(scope).filter(Ingredient::ID.eq(id));
                if let Err(stale) = current(&mut *tx, select, "ingredients", expected).await? {
                    return Ok(Err(stale));
                }
                let update = Ingredient::update(scope, id)
                    .apply_if(name, |u, name| u.set(Ingredient::NAME, name))
                    .apply_if(category, |u, c| u.set(Ingredient::CATEGORY_ID, c))
                    .apply_if(density, |u, d| u.set(Ingredient::DENSITY, d))
                    .apply_if(unit_weight, |u, w| u.set(Ingredient::UNIT_WEIGHT, w))
                    .apply_if(threshold, |u, t| u.set(Ingredient::LOW_STOCK_THRESHOLD, t));
                Ok(Ok(update.execute(&mut *tx).await?))
            })
        })
        .await?
}

/// Changes to a recipe's name and notes, or a product's; a field left out
/// is kept. (A recipe's lines are fixed once batches used it: make a new
/// recipe for a new formula.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NamedEdit {
    /// A new name, unique in the organization.
    pub name: Option<String>,
    /// A new description, or `null` for none.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
}

impl NamedEdit {
    fn checked(&self) -> Result<(Option<String>, Option<Option<String>>), DomainError> {
        let name = self
            .name
            .as_deref()
            .map(|n| text("name", n, 200))
            .transpose()?;
        let description = self
            .description
            .as_ref()
            .map(|d| optional_text("description", d.as_deref(), 2000))
            .transpose()?;
        Ok((name, description))
    }
}

/// Edits a recipe at `expected`, its version as last read.
///
/// # Errors
///
/// As [`edit_category`].
pub async fn edit_recipe<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    id: Id<Recipe>,
    expected: Option<&str>,
    edit: NamedEdit,
) -> Result<Recipe, DomainError> {
    let (name, description) = edit.checked()?;
    scope
        .write(pool, |tx| {
            let (name, description) = (name.clone(), description.clone());
            Box::pin(async move {
                let select = Recipe::select(scope).filter(Recipe::ID.eq(id));
                if let Err(stale) = current(&mut *tx, select, "recipes", expected).await? {
                    return Ok(Err(stale));
                }
                let update = Recipe::update(scope, id)
                    .apply_if(name, |u, name| u.set(Recipe::NAME, name))
                    .apply_if(description, |u, d| u.set(Recipe::DESCRIPTION, d));
                Ok(Ok(update.execute(&mut *tx).await?))
            })
        })
        .await?
}

/// Edits a product at `expected`, its version as last read.
///
/// # Errors
///
/// As [`edit_category`].
pub async fn edit_product<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    id: Id<Product>,
    expected: Option<&str>,
    edit: NamedEdit,
) -> Result<Product, DomainError> {
    let (name, description) = edit.checked()?;
    scope
        .write(pool, |tx| {
            let (name, description) = (name.clone(), description.clone());
            Box::pin(async move {
                let select = Product::select(scope).filter(Product::ID.eq(id));
                if let Err(stale) = current(&mut *tx, select, "products", expected).await? {
                    return Ok(Err(stale));
                }
                let update = Product::update(scope, id)
                    .apply_if(name, |u, name| u.set(Product::NAME, name))
                    .apply_if(description, |u, d| u.set(Product::DESCRIPTION, d));
                Ok(Ok(update.execute(&mut *tx).await?))
            })
        })
        .await?
}

/// Changes to a SKU; a field left out is kept. Its code and product are
/// fixed: labels and sales name them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkuEdit {
    /// The variant in words.
    pub name: Option<String>,
    /// A new price per piece.
    pub price: Option<Amount>,
}

/// Edits a SKU at `expected`, its version as last read.
///
/// # Errors
///
/// As [`edit_category`]; `Invalid` for a negative or absurd price.
pub async fn edit_sku<DB: Store>(
    pool: &sqlx::Pool<DB>,
    scope: &Scope,
    id: Id<Sku>,
    expected: Option<&str>,
    edit: SkuEdit,
) -> Result<Sku, DomainError> {
    let name = edit
        .name
        .as_deref()
        .map(|n| text("name", n, 200))
        .transpose()?;
    if let Some(price) = edit.price
        && (price.is_negative() || price > MAX_QUANTITY)
    {
        return Err(DomainError::invalid(
            "price",
            "must be between 0 and 1 000 000 000",
        ));
    }
    let price = edit.price;
    scope
        .write(pool, |tx| {
            let name = name.clone();
            Box::pin(async move {
                let select = Sku::select(scope).filter(Sku::ID.eq(id));
                if let Err(stale) = current(&mut *tx, select, "product_skus", expected).await? {
                    return Ok(Err(stale));
                }
                let update = Sku::update(scope, id)
                    .apply_if(name, |u, name| u.set(Sku::NAME, name))
                    .apply_if(price, |u, price| u.set(Sku::PRICE, price));
                Ok(Ok(update.execute(&mut *tx).await?))
            })
        })
        .await?
}
