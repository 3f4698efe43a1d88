//! Aggregates: sums, minimums, maximums and counts of a scoped select,
//! over all its rows or per value of a column, in one statement
//! ([`Select::sum`](crate::Select::sum), [`Select::group_by`](crate::Select::group_by)).
//!
//! "How much olive oil is left over the lots that have not expired" is one
//! `SUM` in SQL; reading every lot to add them up in Rust costs a row per
//! lot and is out of date by the time it is added. The statements here
//! carry the organization predicate of the select they come from, as every
//! read does.

use std::fmt;
use std::marker::PhantomData;

use sea_query::{Alias, Condition, Expr, ExprTrait, Func, Order, Query, Value, Values};
use sqlx::Acquire;

use super::plan::{CacheKey, ShapeKey};
use super::select::key_access;
use super::{OrderKey, Purpose, Reach, Statement, row_predicates};
use crate::column::{Column, Filter};
use crate::error::Result;
use crate::exec::{self, Backend, Binds, Decodes, Prepared};
use crate::filter::MaybeFilter;
use crate::model::{Stores, Table};

mod sealed {
    pub trait Sealed {}
    impl Sealed for i16 {}
    impl Sealed for i32 {}
    impl Sealed for i64 {}
    #[cfg(feature = "rust_decimal")]
    impl Sealed for crate::Amount {}
}

/// The types of column that [`Select::sum`](crate::Select::sum) adds up,
/// exactly on both backends: integers (summed as `i64`) and
/// [`Amount`](crate::Amount).
#[diagnostic::on_unimplemented(
    message = "a column of `{Self}` cannot be summed",
    label = "not an exact number",
    note = "sums work on `i16`, `i32`, `i64` and `tenancy_core::Amount` columns that are not nullable"
)]
pub trait Summable: sealed::Sealed {
    /// The type of the sum.
    type Sum;
    /// The SQL type the sum is cast to, so that both backends answer the
    /// same type (PostgreSQL sums a `BIGINT` as a `NUMERIC`).
    #[doc(hidden)]
    const __CAST: Option<&'static str>;
}

macro_rules! summable_integer {
    ($($int:ty),*) => {$(
        impl Summable for $int {
            type Sum = i64;
            const __CAST: Option<&'static str> = Some("BIGINT");
        }
    )*};
}

summable_integer!(i16, i32, i64);

#[cfg(feature = "rust_decimal")]
impl Summable for crate::Amount {
    type Sum = Self;
    const __CAST: Option<&'static str> = None;
}

/// What an aggregate answers on backend `DB`, decoded row by row: the
/// second parameter of [`Aggregate`].
pub trait Output<DB: Backend>: Send {
    /// What [`Aggregate::fetch`] returns.
    type Value;

    /// The output before any row.
    #[doc(hidden)]
    fn __empty() -> Self;

    /// Decodes one row of the statement.
    #[doc(hidden)]
    fn __add(&mut self, row: &DB::Row) -> Result<(), sqlx::Error>;

    /// The value, once every row is decoded.
    #[doc(hidden)]
    fn __finish(self) -> Result<Self::Value, sqlx::Error>;
}

/// The one value of an aggregate over every row: a sum, or a minimum or
/// maximum (`None` without rows).
#[derive(Debug)]
pub struct One<T>(Option<T>);

impl<DB, T> Output<DB> for One<T>
where
    DB: Backend,
    DB: Decodes<T>,
    T: Send,
{
    type Value = T;

    fn __empty() -> Self {
        Self(None)
    }

    fn __add(&mut self, row: &DB::Row) -> Result<(), sqlx::Error> {
        self.0 = Some(<DB as Decodes<T>>::__decode_value(row, 0)?);
        Ok(())
    }

    fn __finish(self) -> Result<T, sqlx::Error> {
        // An aggregate without `GROUP BY` always answers one row.
        self.0.ok_or(sqlx::Error::RowNotFound)
    }
}

/// One value per group, ordered by the group's value (nulls last).
#[derive(Debug)]
pub struct PerGroup<G, V>(Vec<(G, V)>);

impl<DB, G, V> Output<DB> for PerGroup<G, V>
where
    DB: Backend,
    DB: Decodes<G> + Decodes<V>,
    G: Send,
    V: Send,
{
    type Value = Vec<(G, V)>;

    fn __empty() -> Self {
        Self(Vec::new())
    }

    fn __add(&mut self, row: &DB::Row) -> Result<(), sqlx::Error> {
        self.0.push((
            <DB as Decodes<G>>::__decode_value(row, 0)?,
            <DB as Decodes<V>>::__decode_value(row, 1)?,
        ));
        Ok(())
    }

    fn __finish(self) -> Result<Vec<(G, V)>, sqlx::Error> {
        Ok(self.0)
    }
}

/// The number of rows per group, ordered by the group's value (nulls
/// last).
#[derive(Debug)]
pub struct CountPerGroup<G>(Vec<(G, u64)>);

impl<DB, G> Output<DB> for CountPerGroup<G>
where
    DB: Backend,
    DB: Decodes<G>,
    G: Send,
{
    type Value = Vec<(G, u64)>;

    fn __empty() -> Self {
        Self(Vec::new())
    }

    fn __add(&mut self, row: &DB::Row) -> Result<(), sqlx::Error> {
        let count = DB::__get_key(row, 1)?.unwrap_or_default();
        // A count is never negative; saturate rather than trust the driver.
        self.0.push((
            <DB as Decodes<G>>::__decode_value(row, 0)?,
            u64::try_from(count).unwrap_or(0),
        ));
        Ok(())
    }

    fn __finish(self) -> Result<Vec<(G, u64)>, sqlx::Error> {
        Ok(self.0)
    }
}

/// The function an aggregate computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Function {
    /// `COALESCE(SUM(column), 0)`, cast to this type where the backends
    /// differ.
    Sum(Option<&'static str>),
    Min,
    Max,
    /// `COUNT(*)`.
    Count,
}

impl Function {
    fn expr(self, table: &'static str, column: &'static str) -> Expr {
        let column = || Expr::col((table, column));
        match self {
            Self::Sum(cast) => {
                let sum = Expr::expr(Func::coalesce([
                    Func::sum(column()).into(),
                    Expr::cust("0"),
                ]));
                match cast {
                    Some(ty) => sum.cast_as(Alias::new(ty)),
                    None => sum,
                }
            }
            Self::Min => column().min(),
            Self::Max => column().max(),
            Self::Count => Expr::col(sea_query::Asterisk).count(),
        }
    }
}

/// An aggregate of a scoped select, built by [`Select::sum`](crate::Select::sum),
/// [`min`](crate::Select::min), [`max`](crate::Select::max) or a
/// [`Grouped`] select; `O` says what [`fetch`](Self::fetch) answers.
///
/// ```
/// # use tenancy_core::{Id, OrgId, Scope, Scoped};
/// #[derive(Scoped)]
/// #[tenancy(table = "lots")]
/// struct Lot { id: Id<Lot>, organization_id: OrgId, ingredient_id: i64, quantity: i64, expired: bool }
///
/// let scope = Scope::for_job(OrgId::new(7), "doc example");
/// let available = Lot::select(&scope)
///     .filter(Lot::EXPIRED.eq(false))
///     .group_by(Lot::INGREDIENT_ID)
///     .sum(Lot::QUANTITY);
/// # #[cfg(feature = "postgres")]
/// assert_eq!(
///     available.to_sql::<sqlx::Postgres>().0,
///     r#"SELECT "lots"."ingredient_id", CAST(COALESCE(SUM("lots"."quantity"), 0) AS BIGINT) FROM "lots" WHERE "lots"."organization_id" = $1 AND "lots"."expired" = $2 GROUP BY "lots"."ingredient_id" ORDER BY "lots"."ingredient_id" ASC"#
/// );
/// ```
#[must_use = "an aggregate does nothing until it is fetched"]
pub struct Aggregate<M, O> {
    reach: Reach,
    inactive: bool,
    filter: Option<Filter<M>>,
    group: Option<&'static str>,
    function: Function,
    column: &'static str,
    output: PhantomData<fn() -> O>,
}

/// A select grouped by the values of one column, built by
/// [`Select::group_by`](crate::Select::group_by): each aggregate of it
/// answers one value per group, ordered by the group's value.
#[must_use = "a grouped select does nothing until it is aggregated and fetched"]
pub struct Grouped<M, G> {
    reach: Reach,
    inactive: bool,
    filter: Option<Filter<M>>,
    group: &'static str,
    model: PhantomData<fn() -> G>,
}

impl<M: Table, G> Grouped<M, G> {
    pub(crate) fn new(
        reach: Reach,
        inactive: bool,
        filter: Option<Filter<M>>,
        group: &'static str,
    ) -> Self {
        Self {
            reach,
            inactive,
            filter,
            group,
            model: PhantomData,
        }
    }

    fn aggregate<O>(self, function: Function, column: &'static str) -> Aggregate<M, O> {
        Aggregate {
            reach: self.reach,
            inactive: self.inactive,
            filter: self.filter,
            group: Some(self.group),
            function,
            column,
            output: PhantomData,
        }
    }

    /// The number of rows per group.
    pub fn count(self) -> Aggregate<M, CountPerGroup<G>> {
        let group = self.group;
        self.aggregate(Function::Count, group)
    }

    /// The sum of `column` per group.
    pub fn sum<T: Summable, K>(self, column: Column<M, T, K>) -> Aggregate<M, PerGroup<G, T::Sum>> {
        self.aggregate(Function::Sum(T::__CAST), column.name())
    }

    /// The smallest value of `column` per group.
    pub fn min<T, K>(self, column: Column<M, T, K>) -> Aggregate<M, PerGroup<G, T>> {
        self.aggregate(Function::Min, column.name())
    }

    /// The largest value of `column` per group.
    pub fn max<T, K>(self, column: Column<M, T, K>) -> Aggregate<M, PerGroup<G, T>> {
        self.aggregate(Function::Max, column.name())
    }
}

impl<M: Table, O> Aggregate<M, O> {
    pub(crate) fn single(
        reach: Reach,
        inactive: bool,
        filter: Option<Filter<M>>,
        function: Function,
        column: &'static str,
    ) -> Self {
        Self {
            reach,
            inactive,
            filter,
            group: None,
            function,
            column,
            output: PhantomData,
        }
    }

    /// `SELECT [group,] value FROM t WHERE <scope> [AND active] [AND
    /// filter] [GROUP BY group ORDER BY group]`.
    fn statement(&self, access: &super::Reach<Value>, filter: Option<Condition>) -> Statement {
        let model = M::__model();
        let mut select = Query::select();
        if let Some(group) = self.group {
            select.expr(Expr::col((model.table, group)));
        }
        select
            .expr(self.function.expr(model.table, self.column))
            .from(model.table);
        for predicate in row_predicates(model, access, Purpose::Read, self.inactive) {
            select.and_where(predicate);
        }
        if let Some(filter) = filter {
            select.cond_where(filter);
        }
        if let Some(group) = self.group {
            select.group_by_col((model.table, group));
            // The null group last, as PostgreSQL orders by default; said
            // only for a nullable column, since on SQLite it costs a sort
            // that the grouping otherwise makes needless.
            let key = OrderKey::new(model, group, Order::Asc, None);
            key.apply(&mut select, (model.table, group));
        }
        Statement::Select(select)
    }

    /// The SQL this aggregate runs on `DB`, with the values bound to it.
    #[must_use]
    pub fn to_sql<DB: Backend>(&self) -> (String, Values) {
        let filter = self.filter.as_ref().map(Filter::condition);
        self.statement(&self.reach.access(), filter).render::<DB>()
    }

    /// The statement, cached by shape unless a custom condition leaves the
    /// filter without one.
    fn prepare<DB>(&self) -> Result<Prepared<DB>>
    where
        M: Table,
        DB: Stores<M>,
    {
        let Some(filter) = self.filter.shape() else {
            let condition = self.filter.as_ref().map(Filter::condition);
            return Prepared::rendered(self.statement(&self.reach.access(), condition));
        };
        let base = ShapeKey::Aggregate {
            access: self.reach.kind(),
            inactive: self.inactive,
            function: self.function,
            column: self.column,
            group: self.group,
        };
        let key = CacheKey {
            base,
            filter,
            order: Box::default(),
        };
        let values = self.filter.values();
        let binds = Binds::<M> {
            org: self.reach.org(),
            filter: &values,
            ..Binds::default()
        };
        let render = || self.statement(&key_access(base), self.filter.with_sentinels());
        Prepared::<DB>::from_cache(key, render, &binds)
    }

    /// Runs the aggregate: a sum (zero without rows), a minimum or maximum
    /// (`None` without rows), or one value per group (no group without
    /// rows), ordered by the group's value with the null group last.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`](crate::Error::Invalid) when a sum of integers
    /// leaves the range of `i64` on PostgreSQL; [`Error::Database`](crate::Error::Database)
    /// when the statement fails (a sum out of range on SQLite: "integer
    /// overflow") or a value does not decode (a sum of amounts beyond
    /// [`Amount::MAX`](crate::Amount::MAX) on PostgreSQL).
    pub async fn fetch<'c, A, DB>(self, connection: A) -> Result<O::Value>
    where
        A: Acquire<'c, Database = DB> + Send + 'c,
        DB: Backend,
        M: Table,
        DB: Stores<M>,
        O: Output<DB>,
    {
        let tenant = self.reach.tenant(M::__model());
        let prepared = self.prepare::<DB>()?;
        let output = exec::run(connection, tenant, move |mut lent| {
            Box::pin(async move {
                let mut output = O::__empty();
                prepared
                    .for_each_row(&mut lent, |row| Ok(output.__add(row)?))
                    .await?;
                Ok(output)
            })
        })
        .await?;
        Ok(output.__finish()?)
    }
}

impl<M, O> fmt::Debug for Aggregate<M, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Aggregate")
            .field("reach", &self.reach)
            .field("inactive", &self.inactive)
            .field("filter", &self.filter)
            .field("group", &self.group)
            .field("function", &self.function)
            .field("column", &self.column)
            .finish()
    }
}

impl<M, G> fmt::Debug for Grouped<M, G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Grouped")
            .field("reach", &self.reach)
            .field("inactive", &self.inactive)
            .field("filter", &self.filter)
            .field("group", &self.group)
            .finish()
    }
}
