//! The tables of BatchTrack's domain, one model each.
//!
//! Every tenant table carries its own `organization_id` (history and
//! batch-usage tables too), so every one is a plain scoped model and the
//! whole schema can be distributed by organization. Units and their
//! conversions are global: every organization reads the same ones and
//! only a system scope writes them. Movements of stock (history,
//! adjustments, what batches used, sale allocations) are append-only: a
//! correction is a new row.
//!
//! Quantities and money are [`Amount`]s. A lot's quantities and costs are
//! in its ingredient's stock unit; a recipe line's quantity is in its own
//! unit.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use tenancy_core::{Amount, Id, OrgId, Scoped, TextEnum, UserId};

/// What a unit measures; conversions between kinds go through an
/// ingredient's density (weight and volume) or unit weight (count and
/// weight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, TextEnum, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// Grams, kilograms, ounces, pounds.
    Weight,
    /// Millilitres, litres, teaspoons, fluid ounces.
    Volume,
    /// Pieces.
    Count,
}

/// A unit of measure: global, seeded by the migrations.
#[derive(Debug, Clone, PartialEq, Eq, Scoped, Serialize, utoipa::ToSchema)]
#[tenancy(table = "units", global)]
pub struct Unit {
    /// The unit's id.
    pub id: Id<Unit>,
    /// The short name, unique: `g`, `kg`, `fl_oz`.
    pub symbol: String,
    /// The name in words.
    pub name: String,
    /// What it measures.
    pub kind: UnitKind,
}

/// How many of a base unit one unit is, as an exact fraction: global,
/// seeded with one row for every unit that is not its kind's base (`g`,
/// `ml`, `each`).
#[derive(Debug, Clone, PartialEq, Eq, Scoped, Serialize, utoipa::ToSchema)]
#[tenancy(table = "unit_conversions", global)]
pub struct UnitConversion {
    /// The conversion's id.
    pub id: Id<UnitConversion>,
    /// The unit converted from.
    pub from_unit_id: Id<Unit>,
    /// The base unit of the same kind.
    pub to_unit_id: Id<Unit>,
    /// One `from` unit is `numerator / denominator` `to` units.
    pub numerator: i64,
    /// See `numerator`; more than zero.
    pub denominator: i64,
}

/// Which lot a batch takes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, TextEnum, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsumptionOrder {
    /// The oldest received lot first (first in, first out).
    #[default]
    ReceivedFirst,
    /// The lot that expires first (lots without an expiry last), then the
    /// oldest received.
    ExpiringFirst,
}

/// An organization's settings of the domain; one row at most.
#[derive(Debug, Clone, PartialEq, Eq, Scoped, Serialize, utoipa::ToSchema)]
#[tenancy(table = "inventory_settings")]
pub struct InventorySettings {
    /// The row's id.
    pub id: Id<InventorySettings>,
    /// The organization.
    pub organization_id: OrgId,
    /// Which lot batches take first.
    pub consumption_order: ConsumptionOrder,
}

/// A category of ingredients.
#[derive(Debug, Clone, PartialEq, Eq, Scoped, Serialize, utoipa::ToSchema)]
#[tenancy(table = "categories", soft_delete, insert = "NewCategory")]
pub struct Category {
    /// The category's id.
    pub id: Id<Category>,
    /// The organization.
    pub organization_id: OrgId,
    /// Its name, unique in the organization.
    pub name: String,
    /// A display colour (`#aabbcc`), if any.
    pub color: Option<String>,
    /// Cleared by a delete.
    pub is_active: bool,
}

/// A raw material: what lots are lots of.
#[derive(Debug, Clone, PartialEq, Eq, Scoped, Serialize, utoipa::ToSchema)]
#[tenancy(table = "ingredients", soft_delete)]
pub struct Ingredient {
    /// The ingredient's id.
    pub id: Id<Ingredient>,
    /// The organization.
    pub organization_id: OrgId,
    /// Its name, unique in the organization.
    pub name: String,
    /// Its category, if any.
    #[tenancy(references = Category)]
    pub category_id: Option<Id<Category>>,
    /// The unit its stock is counted in; lots are received in any unit
    /// that converts to it.
    #[tenancy(fixed)]
    pub stock_unit_id: Id<Unit>,
    /// Grams per millilitre, for weight ↔ volume.
    pub density: Option<Amount>,
    /// Grams per piece, for count ↔ weight.
    pub unit_weight: Option<Amount>,
    /// Stock on hand (in the stock unit) below which it is low.
    pub low_stock_threshold: Option<Amount>,
    /// Cleared by a delete.
    pub is_active: bool,
}

/// A lot: one receipt of an ingredient, consumed first in, first out.
#[derive(Debug, Clone, PartialEq, Eq, Scoped, Serialize, utoipa::ToSchema)]
#[tenancy(table = "inventory_items", insert = "NewLot")]
pub struct Lot {
    /// The lot's id.
    pub id: Id<Lot>,
    /// The organization.
    pub organization_id: OrgId,
    /// What it is a lot of.
    #[tenancy(references = Ingredient, fixed)]
    pub ingredient_id: Id<Ingredient>,
    /// The supplier's lot number.
    #[tenancy(fixed)]
    pub lot_number: String,
    /// Who supplied it.
    #[tenancy(fixed)]
    pub supplier: Option<String>,
    /// The day it was received.
    #[tenancy(fixed)]
    pub received_on: NaiveDate,
    /// The last day it may be used, if it expires.
    #[tenancy(fixed)]
    pub expires_on: Option<NaiveDate>,
    /// What was received, in the stock unit.
    #[tenancy(fixed)]
    pub received_quantity: Amount,
    /// What is left, in the stock unit; moved only by relative, guarded
    /// updates, each with its history row.
    pub quantity: Amount,
    /// Cost per stock unit.
    #[tenancy(fixed)]
    pub cost_per_unit: Amount,
    /// The unit it was bought in.
    #[tenancy(fixed)]
    pub purchase_unit_id: Id<Unit>,
    /// What was bought, in the purchase unit.
    #[tenancy(fixed)]
    pub purchase_quantity: Amount,
    /// Cost per purchase unit, as invoiced.
    #[tenancy(fixed)]
    pub purchase_cost_per_unit: Amount,
    /// Who received it (none for a job).
    #[tenancy(fixed)]
    pub received_by: Option<UserId>,
    /// When it was recorded.
    #[tenancy(fixed)]
    pub created_at: DateTime<Utc>,
}

/// Why a lot's stock moved.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    TextEnum,
    Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// The lot was received.
    Receipt,
    /// A batch started and took from the lot.
    BatchUse,
    /// A cancelled batch gave back what it took.
    BatchReturn,
    /// An approved adjustment.
    Adjustment,
}

/// One movement of one lot's stock; the movements of a lot add up to what
/// it holds.
#[derive(Debug, Clone, PartialEq, Eq, Scoped, Serialize, utoipa::ToSchema)]
#[tenancy(table = "inventory_history", append_only, insert = "NewMovement")]
pub struct Movement {
    /// The movement's id.
    pub id: Id<Movement>,
    /// The organization.
    pub organization_id: OrgId,
    /// The lot that moved.
    #[tenancy(references = Lot)]
    pub inventory_item_id: Id<Lot>,
    /// Its ingredient, for listings by ingredient: the lot's, copied (not
    /// a checked reference, so that a deactivated ingredient's lots still
    /// move; the composite foreign key keeps it in the organization).
    pub ingredient_id: Id<Ingredient>,
    /// Why it moved.
    pub kind: MovementKind,
    /// How much, in the stock unit: more than zero in, less than zero out.
    pub quantity_change: Amount,
    /// The batch that caused it, for batch uses and returns.
    #[tenancy(references = Batch)]
    pub batch_id: Option<Id<Batch>>,
    /// The adjustment that caused it.
    #[tenancy(references = Adjustment)]
    pub adjustment_id: Option<Id<Adjustment>>,
    /// Who caused it (none for a job).
    pub user_id: Option<UserId>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Why stock is corrected by hand.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    TextEnum,
    Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentKind {
    /// Spoiled, spilled or damaged: stock leaves.
    Spoilage,
    /// Counted: the lot holds what was counted.
    Recount,
    /// A correction of an earlier mistake, either way.
    Correction,
}

/// A manual correction of one lot, with its reason and approver.
#[derive(Debug, Clone, PartialEq, Eq, Scoped, Serialize, utoipa::ToSchema)]
#[tenancy(table = "inventory_adjustments", append_only, insert = "NewAdjustment")]
pub struct Adjustment {
    /// The adjustment's id.
    pub id: Id<Adjustment>,
    /// The organization.
    pub organization_id: OrgId,
    /// The lot corrected.
    #[tenancy(references = Lot)]
    pub inventory_item_id: Id<Lot>,
    /// What kind of correction.
    pub adjustment_type: AdjustmentKind,
    /// The change, in the stock unit.
    pub quantity_change: Amount,
    /// Why, in words.
    pub reason: String,
    /// Who approved it: a holder of `inventory.adjust` (none for a job).
    pub approved_by: Option<UserId>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A production formula.
#[derive(Debug, Clone, PartialEq, Eq, Scoped, Serialize, utoipa::ToSchema)]
#[tenancy(table = "recipes", soft_delete)]
pub struct Recipe {
    /// The recipe's id.
    pub id: Id<Recipe>,
    /// The organization.
    pub organization_id: OrgId,
    /// Its name, unique in the organization.
    pub name: String,
    /// Notes on how it is made.
    pub description: Option<String>,
    /// Cleared by a delete.
    pub is_active: bool,
}

/// One ingredient of a recipe at scale 1.
#[derive(Debug, Clone, PartialEq, Eq, Scoped, Serialize, utoipa::ToSchema)]
#[tenancy(table = "recipe_ingredients")]
pub struct RecipeIngredient {
    /// The line's id.
    pub id: Id<RecipeIngredient>,
    /// The organization.
    pub organization_id: OrgId,
    /// The recipe.
    #[tenancy(references = Recipe, fixed)]
    pub recipe_id: Id<Recipe>,
    /// The ingredient, once per recipe.
    #[tenancy(references = Ingredient, fixed)]
    pub ingredient_id: Id<Ingredient>,
    /// How much at scale 1, in `unit_id`.
    pub quantity: Amount,
    /// The unit of `quantity`.
    pub unit_id: Id<Unit>,
}

/// Where a batch is: in progress, then finished or cancelled, never back.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    TextEnum,
    Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    /// Started: ingredients taken, no product yet.
    InProgress,
    /// Finished: product inventory made.
    Finished,
    /// Cancelled: ingredients given back.
    Cancelled,
}

/// One production run of a recipe.
#[derive(Debug, Clone, PartialEq, Eq, Scoped, Serialize, utoipa::ToSchema)]
#[tenancy(table = "batches")]
pub struct Batch {
    /// The batch's id.
    pub id: Id<Batch>,
    /// The organization.
    pub organization_id: OrgId,
    /// The recipe made.
    #[tenancy(references = Recipe, fixed)]
    pub recipe_id: Id<Recipe>,
    /// The recipe's scale.
    #[tenancy(fixed)]
    pub scale: Amount,
    /// Where it is.
    pub status: BatchStatus,
    /// What the lots it took cost.
    #[tenancy(fixed)]
    pub total_cost: Amount,
    /// Who started it.
    #[tenancy(fixed)]
    pub started_by: Option<UserId>,
    /// When it started.
    #[tenancy(fixed)]
    pub started_at: DateTime<Utc>,
    /// When it finished or was cancelled.
    pub ended_at: Option<DateTime<Utc>>,
}

/// What a batch took from one lot: one row per lot used.
#[derive(Debug, Clone, PartialEq, Eq, Scoped, Serialize, utoipa::ToSchema)]
#[tenancy(
    table = "batch_ingredients",
    append_only,
    insert = "NewBatchIngredient"
)]
pub struct BatchIngredient {
    /// The row's id.
    pub id: Id<BatchIngredient>,
    /// The organization.
    pub organization_id: OrgId,
    /// The batch.
    #[tenancy(references = Batch)]
    pub batch_id: Id<Batch>,
    /// The ingredient: the lot's, copied (see [`Movement::ingredient_id`]).
    pub ingredient_id: Id<Ingredient>,
    /// The lot taken from.
    #[tenancy(references = Lot)]
    pub inventory_item_id: Id<Lot>,
    /// How much, in the stock unit.
    pub quantity_used: Amount,
    /// The lot's cost per stock unit.
    pub cost_per_unit: Amount,
}

/// A finished good.
#[derive(Debug, Clone, PartialEq, Eq, Scoped, Serialize, utoipa::ToSchema)]
#[tenancy(table = "products", soft_delete)]
pub struct Product {
    /// The product's id.
    pub id: Id<Product>,
    /// The organization.
    pub organization_id: OrgId,
    /// Its name, unique in the organization.
    pub name: String,
    /// What it is.
    pub description: Option<String>,
    /// Cleared by a delete.
    pub is_active: bool,
}

/// A sellable variant of a product.
#[derive(Debug, Clone, PartialEq, Eq, Scoped, Serialize, utoipa::ToSchema)]
#[tenancy(table = "product_skus", soft_delete, insert = "NewSku")]
pub struct Sku {
    /// The SKU's id.
    pub id: Id<Sku>,
    /// The organization.
    pub organization_id: OrgId,
    /// The product.
    #[tenancy(references = Product, fixed)]
    pub product_id: Id<Product>,
    /// The code, unique in the organization.
    pub sku: String,
    /// The variant in words ("100 g bar").
    pub name: String,
    /// The selling price per piece.
    pub price: Amount,
    /// Cleared by a delete.
    pub is_active: bool,
}

/// Finished goods of one SKU from one batch.
#[derive(Debug, Clone, PartialEq, Eq, Scoped, Serialize, utoipa::ToSchema)]
#[tenancy(table = "product_inventory", insert = "NewProductStock")]
pub struct ProductStock {
    /// The row's id.
    pub id: Id<ProductStock>,
    /// The organization.
    pub organization_id: OrgId,
    /// The SKU.
    #[tenancy(references = Sku, fixed)]
    pub sku_id: Id<Sku>,
    /// The batch that made it, once per batch.
    #[tenancy(references = Batch, fixed)]
    pub batch_id: Id<Batch>,
    /// The batch's code, unique in the organization: on labels and in
    /// recalls.
    #[tenancy(fixed)]
    pub batch_code: String,
    /// What the batch yielded, in pieces.
    #[tenancy(fixed)]
    pub produced_quantity: Amount,
    /// What is left; moved only by guarded updates with a sale allocation.
    pub quantity: Amount,
    /// The batch's cost divided by its yield.
    #[tenancy(fixed)]
    pub cost_per_unit: Amount,
    /// The last day it may be sold, if it expires.
    #[tenancy(fixed)]
    pub expires_on: Option<NaiveDate>,
    /// When it was made.
    #[tenancy(fixed)]
    pub created_at: DateTime<Utc>,
}

/// Whether goods left as a sale or a shipment.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    TextEnum,
    Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SaleKind {
    /// Sold.
    Sale,
    /// Shipped (to a shop, a market stall).
    Shipment,
}

/// Goods of one SKU that left.
#[derive(Debug, Clone, PartialEq, Eq, Scoped, Serialize, utoipa::ToSchema)]
#[tenancy(table = "sales", append_only)]
pub struct Sale {
    /// The sale's id.
    pub id: Id<Sale>,
    /// The organization.
    pub organization_id: OrgId,
    /// The SKU.
    #[tenancy(references = Sku)]
    pub sku_id: Id<Sku>,
    /// Sale or shipment.
    pub kind: SaleKind,
    /// How many pieces.
    pub quantity: Amount,
    /// An order number, a customer, a market: free text.
    pub reference: Option<String>,
    /// Who recorded it.
    pub recorded_by: Option<UserId>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// What a sale took from one batch's goods.
#[derive(Debug, Clone, PartialEq, Eq, Scoped, Serialize, utoipa::ToSchema)]
#[tenancy(table = "sale_allocations", append_only)]
pub struct SaleAllocation {
    /// The row's id.
    pub id: Id<SaleAllocation>,
    /// The organization.
    pub organization_id: OrgId,
    /// The sale.
    #[tenancy(references = Sale)]
    pub sale_id: Id<Sale>,
    /// The goods taken from.
    #[tenancy(references = ProductStock)]
    pub product_inventory_id: Id<ProductStock>,
    /// How many pieces.
    pub quantity: Amount,
}

/// A request sent with an `Idempotency-Key`, kept by the HTTP API so that
/// a retry answers the first response instead of acting twice. Not part
/// of the domain's data, but a tenant table like every other: a key of
/// one organization never answers another's request.
#[derive(Debug, Clone, PartialEq, Eq, Scoped)]
#[tenancy(table = "idempotency_keys", insert = "NewIdempotencyRecord")]
pub struct IdempotencyRecord {
    /// The row's id.
    pub id: Id<IdempotencyRecord>,
    /// The organization.
    pub organization_id: OrgId,
    /// The client's key, unique in the organization.
    #[tenancy(fixed)]
    pub request_key: String,
    /// The hash of what the request asked (route and body): the same key
    /// with another request is refused.
    #[tenancy(fixed)]
    pub fingerprint: String,
    /// The status of the first response; none while it runs.
    pub status: Option<i64>,
    /// The body of the first response, JSON.
    pub body: Option<String>,
    /// When the first request came.
    #[tenancy(fixed)]
    pub created_at: DateTime<Utc>,
}
