//! BatchTrack's domain: units, lots consumed first in first out, the stock
//! check, batches, products and sales, and traceability, as services over
//! the library's scoped models.
//!
//! Every service takes the pool and the [`Scope`](tenancy_core::Scope) of
//! the organization it acts for, and is generic over the backend
//! ([`Store`]): the same code runs on SQLite and PostgreSQL. No statement
//! here is written by hand; every one is built by a model, so each names
//! its organization, and on PostgreSQL row-level security checks it again.
//! Changes of several rows run in one write transaction
//! ([`Scope::write`](tenancy_core::Scope::write)), which the library retries
//! when the database is busy: a caller never sees a half-made batch nor
//! decodes a busy database.
//!
//! Who may call which service (receive stock, start a batch) is the HTTP
//! layer's typed permissions; the services check only what is a rule of
//! the domain itself, such as an adjustment's approver holding
//! [`AdjustInventory`](permissions::AdjustInventory).

pub mod batches;
pub mod catalog;
pub mod edits;
mod error;
pub mod inventory;
pub mod models;
pub mod permissions;
pub mod products;
pub mod stock;
pub mod trace;
pub mod units;

pub use error::{DomainError, Shortfall};

use tenancy_core::{Amount, Backend, Decodes, Stores};

use models::{
    Adjustment, Batch, BatchIngredient, Category, IdempotencyRecord, Ingredient, InventorySettings,
    Lot, Movement, Product, ProductStock, Recipe, RecipeIngredient, Sale, SaleAllocation, Sku,
    Unit, UnitConversion,
};

/// Declares [`Store`] and [`models`] from one list of the domain's models,
/// so that a new model cannot be stored without being audited, nor the
/// reverse.
macro_rules! domain_models {
    ($($model:ident),* $(,)?) => {
        /// The backends BatchTrack runs on: `sqlx::Sqlite` and
        /// `sqlx::Postgres`.
        ///
        /// One bound for "stores every model of the domain and the access
        /// rules" (and reads the access rows the API and the pages list:
        /// roles, invitations, memberships, role assignments), so that services say `DB: Store` once instead of
        /// a bound per model.
        pub trait Store:
            Backend
            + tenancy_access::AccessStore
            + tenancy_core::audit::Audited
            + Decodes<Amount>
            + Decodes<tenancy_core::Id<Ingredient>>
            + Stores<tenancy_access::Role>
            + Stores<tenancy_access::Invitation>
            + Stores<tenancy_access::Membership>
            + Stores<tenancy_access::RoleAssignment>
            $(+ Stores<$model>)*
        {
        }

        impl<DB> Store for DB where
            DB: Backend
                + tenancy_access::AccessStore
                + tenancy_core::audit::Audited
                + Decodes<Amount>
                + Decodes<tenancy_core::Id<Ingredient>>
                + Stores<tenancy_access::Role>
                + Stores<tenancy_access::Invitation>
                + Stores<tenancy_access::Membership>
                + Stores<tenancy_access::RoleAssignment>
                $(+ Stores<$model>)*
        {
        }

        /// The list of models, for the schema audit and row-level
        /// security: the access tables' and the domain's.
        #[must_use]
        pub fn models() -> tenancy_core::ddl::Models {
            tenancy_access::schema::models()$(.with::<$model>())*
        }
    };
}

domain_models!(
    Unit,
    UnitConversion,
    InventorySettings,
    Category,
    Ingredient,
    Lot,
    Movement,
    Adjustment,
    Recipe,
    RecipeIngredient,
    Batch,
    BatchIngredient,
    Product,
    Sku,
    ProductStock,
    Sale,
    SaleAllocation,
    IdempotencyRecord,
);

/// A quantity a caller gave, checked: more than zero and at most
/// [`MAX_QUANTITY`].
///
/// # Errors
///
/// [`DomainError::Invalid`] naming `field`.
pub fn positive(field: &'static str, quantity: Amount) -> Result<Amount, DomainError> {
    if !quantity.is_positive() {
        return Err(DomainError::invalid(field, "must be more than zero"));
    }
    if quantity > MAX_QUANTITY {
        return Err(DomainError::invalid(field, "is beyond 1 000 000 000"));
    }
    Ok(quantity)
}

/// The largest quantity, scale or price a caller may give, and the most a
/// lot may hold in its stock unit: far beyond any small-batch business.
/// Products of such numbers (a quantity times a cost) may still leave an
/// [`Amount`]'s range; every one is computed checked and refused then.
pub const MAX_QUANTITY: Amount = Amount::from_micros(1_000_000_000 * 1_000_000);

/// Refuses a date outside 2000–2199: a typo, or a year SQLite would order
/// as text differently from PostgreSQL.
///
/// # Errors
///
/// [`DomainError::Invalid`] naming `field`.
pub fn plausible_date(
    field: &'static str,
    date: Option<chrono::NaiveDate>,
) -> Result<(), DomainError> {
    use chrono::Datelike;
    match date {
        Some(date) if !(2000..=2199).contains(&date.year()) => Err(DomainError::invalid(
            field,
            "must be a date between 2000 and 2199",
        )),
        _ => Ok(()),
    }
}
