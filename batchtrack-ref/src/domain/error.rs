//! What the domain's services answer when they refuse.

use serde::Serialize;
use tenancy_core::{Amount, Id};

use super::models::{BatchStatus, Ingredient, Sku, Unit};
use super::units::ConversionError;

/// Why a service refused; nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DomainError {
    /// Not enough usable stock: every ingredient that is short, with what
    /// is missing.
    #[error("not enough stock of {} ingredient(s)", .0.len())]
    ShortStock(Vec<Shortfall>),
    /// The SKU's goods that have not expired do not cover a sale.
    #[error("not enough goods of the SKU: {needed} needed, {available} available")]
    NotEnoughGoods {
        /// The SKU.
        sku_id: Id<Sku>,
        /// What the sale needs.
        needed: Amount,
        /// What its goods hold.
        available: Amount,
    },
    /// A quantity cannot be converted to the unit it is needed in.
    #[error(transparent)]
    Conversion(#[from] ConversionError),
    /// The batch is finished or cancelled: it moves no further.
    #[error("the batch is {status:?}, not in progress")]
    BatchNotInProgress {
        /// Where it is.
        status: BatchStatus,
    },
    /// The row changed since the version an edit was made against.
    #[error("the row changed since it was read")]
    Stale {
        /// Its version now.
        version: String,
    },
    /// A value was refused (zero, negative, absurd, malformed).
    #[error("invalid `{field}`: {reason}")]
    Invalid {
        /// The input field.
        field: &'static str,
        /// Why, in words fit for the caller.
        reason: String,
    },
    /// The library refused or the database failed: not found (another
    /// organization's id included), forbidden, a conflict, busy.
    #[error(transparent)]
    Library(#[from] tenancy_core::Error),
}

impl DomainError {
    /// Shorthand for [`DomainError::Invalid`].
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

/// One ingredient that is short, in the unit it is needed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Shortfall {
    /// The ingredient.
    pub ingredient_id: Id<Ingredient>,
    /// Its name.
    pub ingredient: String,
    /// The unit of the three quantities.
    pub unit_id: Id<Unit>,
    /// What is needed.
    pub needed: Amount,
    /// What usable lots hold.
    pub available: Amount,
    /// `needed - available`.
    pub short_by: Amount,
}
