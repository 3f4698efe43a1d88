//! Typed column handles and the filters built from them.
//!
//! `#[derive(Scoped)]` gives each model one constant per column
//! (`Recipe::NAME`, `Recipe::ID`, `Recipe::ORGANIZATION_ID`). A handle knows
//! its model and its Rust type, so a filter compares a column with a value
//! of the column's type, a filter on `Batch` cannot be given to a query on
//! `Recipe`, and an update cannot name the id or organization column. The
//! handles are also sea-query identifiers, for anything the typed methods do
//! not cover.

use std::fmt;
use std::marker::PhantomData;

use sea_query::{Expr, Iden, Value};

pub use crate::filter::Filter;
use crate::filter::Op;

use crate::model::Table;

/// Markers for the three kinds of column a model has.
pub mod kind {
    /// A column of data, which updates may set.
    #[derive(Debug)]
    pub enum DataColumn {}
    /// The primary key, fixed when the row is inserted.
    #[derive(Debug)]
    pub enum IdColumn {}
    /// The organization column, fixed when the row is inserted.
    #[derive(Debug)]
    pub enum OrganizationColumn {}
    /// A column of soft delete (the active flag, the cascade marker), kept
    /// by deletes and restores.
    #[derive(Debug)]
    pub enum SoftDeleteColumn {}
    /// A data column declared `#[tenancy(fixed)]`: set when the row is
    /// inserted, never by an update.
    #[derive(Debug)]
    pub enum FixedColumn {}
}

/// A column of model `M` holding values of type `T`.
///
/// `K` tells which kind of column it is (see [`kind`]); only
/// [`kind::DataColumn`] columns can be set by an update.
pub struct Column<M, T, K = kind::DataColumn> {
    name: &'static str,
    marker: PhantomData<ColumnMarker<M, T, K>>,
}

/// Ties a column to its model, type and kind without owning any of them, so
/// that a column is `Copy`, `Send` and `Sync` whatever they are.
type ColumnMarker<M, T, K> = fn() -> (M, T, K);

/// The column number `INDEX` of a model: its kind and Rust type.
///
/// `#[derive(Scoped)]` implements it once for every field, and a column
/// handle takes its kind from here and its name from the model's own list
/// ([`Table::__COLUMNS`]): a handle is only ever the column the model
/// declares, so no constructor, hidden or not, can give a settable handle on
/// the id, organization or soft-delete column (the kinds differ), and a
/// second implementation for a declared column conflicts with the derive's.
#[doc(hidden)]
pub trait ColumnAt<const INDEX: usize>: Table {
    /// The column's kind (see [`kind`]).
    type Kind;
    /// The Rust type of its values.
    type Value;
}

impl<M, T, K> Column<M, T, K> {
    /// The column number `INDEX` of `M`, for `#[derive(Scoped)]`; the
    /// constants on each model are the columns to use.
    #[doc(hidden)]
    #[must_use]
    pub const fn __at<const INDEX: usize>() -> Self
    where
        M: ColumnAt<INDEX, Kind = K, Value = T>,
    {
        Self::named(M::__COLUMNS[INDEX])
    }
}

impl<M, T, K> Column<M, T, K> {
    const fn named(name: &'static str) -> Self {
        Self {
            name,
            marker: PhantomData,
        }
    }

    /// The column's name in the database.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl<M: Table, T, K> Column<M, T, K> {
    /// The column as a sea-query expression, qualified with its table, for
    /// conditions the typed methods do not cover (see [`Filter::custom`]).
    #[must_use]
    pub fn expr(self) -> Expr {
        Expr::col((M::__model().table, self.name))
    }
}

/// Comparisons with values of the column's own type.
impl<M: Table, T: Into<Value>, K> Column<M, T, K> {
    /// `column = value`.
    #[must_use]
    pub fn eq(self, value: impl Into<T>) -> Filter<M> {
        Filter::compare(M::__model().table, self.name, Op::Eq, value.into().into())
    }

    /// `column <> value`.
    #[must_use]
    pub fn ne(self, value: impl Into<T>) -> Filter<M> {
        Filter::compare(M::__model().table, self.name, Op::Ne, value.into().into())
    }

    /// `column < value`.
    #[must_use]
    pub fn lt(self, value: impl Into<T>) -> Filter<M> {
        Filter::compare(M::__model().table, self.name, Op::Lt, value.into().into())
    }

    /// `column <= value`.
    #[must_use]
    pub fn lte(self, value: impl Into<T>) -> Filter<M> {
        Filter::compare(M::__model().table, self.name, Op::Lte, value.into().into())
    }

    /// `column > value`.
    #[must_use]
    pub fn gt(self, value: impl Into<T>) -> Filter<M> {
        Filter::compare(M::__model().table, self.name, Op::Gt, value.into().into())
    }

    /// `column >= value`.
    #[must_use]
    pub fn gte(self, value: impl Into<T>) -> Filter<M> {
        Filter::compare(M::__model().table, self.name, Op::Gte, value.into().into())
    }

    /// `column IN (values)`. An empty list matches no row.
    #[must_use]
    pub fn is_in<V: Into<T>>(self, values: impl IntoIterator<Item = V>) -> Filter<M> {
        let values: Vec<Value> = values.into_iter().map(|v| v.into().into()).collect();
        Filter::list(M::__model().table, self.name, false, values)
    }

    /// `column NOT IN (values)`. An empty list matches every row.
    #[must_use]
    pub fn is_not_in<V: Into<T>>(self, values: impl IntoIterator<Item = V>) -> Filter<M> {
        let values: Vec<Value> = values.into_iter().map(|v| v.into().into()).collect();
        Filter::list(M::__model().table, self.name, true, values)
    }
}

/// Null tests, for nullable columns.
impl<M: Table, T, K> Column<M, Option<T>, K> {
    /// `column IS NULL`. (`eq(None)` would match nothing, as in SQL.)
    #[must_use]
    pub fn is_null(self) -> Filter<M> {
        Filter::null(M::__model().table, self.name, false)
    }

    /// `column IS NOT NULL`.
    #[must_use]
    pub fn is_not_null(self) -> Filter<M> {
        Filter::null(M::__model().table, self.name, true)
    }
}

impl<M: Table, K> Column<M, String, K> {
    /// `column LIKE pattern`, with `%` and `_` as wildcards. Case
    /// sensitivity follows the database (PostgreSQL: sensitive; SQLite:
    /// insensitive for ASCII).
    #[must_use]
    pub fn like(self, pattern: impl Into<String>) -> Filter<M> {
        Filter::compare(
            M::__model().table,
            self.name,
            Op::Like,
            pattern.into().into(),
        )
    }
}

impl<M: Table, K> Column<M, Option<String>, K> {
    /// `column LIKE pattern`; null values never match.
    #[must_use]
    pub fn like(self, pattern: impl Into<String>) -> Filter<M> {
        Filter::compare(
            M::__model().table,
            self.name,
            Op::Like,
            pattern.into().into(),
        )
    }
}

// By hand: derives would bound `M`, `T` and `K`.
impl<M, T, K> Clone for Column<M, T, K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M, T, K> Copy for Column<M, T, K> {}

impl<M, T, K> fmt::Debug for Column<M, T, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Column").field(&self.name).finish()
    }
}

impl<M, T, K> Iden for Column<M, T, K> {
    fn unquoted(&self) -> &str {
        self.name
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::kind::DataColumn {}
    impl Sealed for i16 {}
    impl Sealed for i32 {}
    impl Sealed for i64 {}
    #[cfg(feature = "rust_decimal")]
    impl Sealed for crate::Amount {}
}

/// The types of column that an update may add to or subtract from in the
/// statement itself ([`Update::add`](crate::Update::add),
/// [`Update::subtract`](crate::Update::subtract)): integers and
/// [`Amount`](crate::Amount) (feature `rust_decimal`), whose arithmetic is
/// exact on both backends. Floats are left out on purpose: a float
/// counter drifts.
#[diagnostic::on_unimplemented(
    message = "an update cannot add to or subtract from a column of `{Self}`",
    label = "not an exact number",
    note = "relative updates work on `i16`, `i32`, `i64` and `tenancy_core::Amount` columns that are \
            not nullable; set other columns with `set`"
)]
pub trait Numeric: sealed::Sealed + Copy + Into<Value> + Send + 'static {
    /// Whether the value is more than zero.
    #[doc(hidden)]
    fn __is_positive(self) -> bool;
    /// The largest value to which `self` can be added without leaving the
    /// type's range; `self` is positive.
    #[doc(hidden)]
    fn __ceiling(self) -> Self;
    /// The smallest value from which `self` can be subtracted.
    #[doc(hidden)]
    fn __floor(self) -> Self;
}

macro_rules! numeric_integer {
    ($($int:ty),*) => {$(
        impl Numeric for $int {
            fn __is_positive(self) -> bool {
                self > 0
            }
            fn __ceiling(self) -> Self {
                <$int>::MAX.saturating_sub(self)
            }
            fn __floor(self) -> Self {
                <$int>::MIN.saturating_add(self)
            }
        }
    )*};
}

numeric_integer!(i16, i32, i64);

#[cfg(feature = "rust_decimal")]
impl Numeric for crate::Amount {
    fn __is_positive(self) -> bool {
        self.is_positive()
    }
    fn __ceiling(self) -> Self {
        Self::MAX.checked_sub(self).unwrap_or(Self::ZERO)
    }
    fn __floor(self) -> Self {
        Self::MIN.checked_add(self).unwrap_or(Self::ZERO)
    }
}

/// Implemented by the kind of column that an update may set: data columns.
#[diagnostic::on_unimplemented(
    message = "an update cannot set this column (a `{Self}`)",
    label = "a row's id, organization and `#[tenancy(fixed)]` columns never change; soft delete keeps its own columns",
    note = "a row never moves to another organization: insert a new row through a `Scope` \
            of the target organization instead; deactivate and reactivate rows with `delete` and `restore`"
)]
pub trait Settable: sealed::Sealed {}

impl Settable for kind::DataColumn {}
