//! Reads: lists with filters, ordering and paging; counts; finds by id
//! (`find`); selects that lock their rows (`locked`).

mod find;
mod locked;

pub use find::Find;
pub use locked::Locked;

use std::fmt;
use std::marker::PhantomData;

use sea_query::{NullOrdering, Order, Value, Values};
use sqlx::Acquire;

use crate::column::{Column, Filter};
use crate::error::Result;
use crate::exec::{self, Backend, Binds, Prepared, Tenant};
use crate::filter::MaybeFilter;
use crate::id::OrgId;
use crate::model::{SoftDelete, Stores, Table};
use crate::query::aggregate::{Aggregate, Function, Grouped, One, Summable};
use crate::query::plan::{CacheKey, ShapeKey};
use crate::query::{self as query, OrderKey, Paging, Reach, Statement};

/// Rows of one organization (or, from a `SystemScope` or on a global table,
/// of all), built by [`Scoped::select`](crate::Scoped::select).
///
/// ```
/// # use tenancy_core::{Id, OrgId, Scope, Scoped};
/// #[derive(Scoped)]
/// #[tenancy(table = "recipes")]
/// struct Recipe {
///     id: Id<Recipe>,
///     organization_id: OrgId,
///     name: String,
///     batch_size: i64,
/// }
///
/// let scope = Scope::for_job(OrgId::new(7), "doc example");
/// let select = Recipe::select(&scope)
///     .filter(Recipe::BATCH_SIZE.gte(10))
///     .order_by(Recipe::NAME, tenancy_core::Order::Asc)
///     .limit(20);
/// # #[cfg(feature = "postgres")]
/// assert_eq!(
///     select.to_sql::<sqlx::Postgres>().0,
///     r#"SELECT "id", "organization_id", "name", "batch_size" FROM "recipes" WHERE "recipes"."organization_id" = $1 AND "recipes"."batch_size" >= $2 ORDER BY "name" ASC, "id" ASC LIMIT $3"#
/// );
/// ```
///
/// # Ordering
///
/// Rows come ordered by [`order_by`](Self::order_by), then by id, so that
/// pages never overlap or skip a row; without `order_by`, by id alone.
#[must_use = "a select does nothing until it is fetched"]
pub struct Select<M> {
    reach: Reach,
    inactive: bool,
    filter: Option<Filter<M>>,
    order: Vec<OrderKey>,
    paging: Paging,
    model: PhantomData<fn() -> M>,
}

impl<M: Table> Select<M> {
    pub(crate) fn for_org(org: OrgId) -> Self {
        Self::new(Reach::Org(org))
    }

    pub(crate) fn across_orgs() -> Self {
        Self::new(Reach::All)
    }

    fn new(reach: Reach) -> Self {
        Self {
            reach,
            inactive: false,
            filter: None,
            order: Vec::new(),
            paging: Paging::default(),
            model: PhantomData,
        }
    }

    /// Keeps only rows that match `filter`; several filters all apply.
    pub fn filter(mut self, filter: Filter<M>) -> Self {
        self.filter = Some(match self.filter.take() {
            Some(existing) => existing.and(filter),
            None => filter,
        });
        self
    }

    /// Orders by `column`; later calls order ties of earlier ones.
    ///
    /// Nulls of a nullable column come last in ascending order and first
    /// in descending order, on both backends (SQLite's own default is the
    /// reverse); [`order_by_nulls`](Self::order_by_nulls) chooses.
    pub fn order_by<T, K>(mut self, column: Column<M, T, K>, direction: Order) -> Self {
        let key = OrderKey::new(M::__model(), column.name(), direction, None);
        self.order.push(key);
        self
    }

    /// Orders by `column`, with its nulls where `nulls` says: a FIFO over
    /// a nullable expiry date, `order_by_nulls(Lot::EXPIRES_ON, Order::Asc,
    /// NullOrdering::Last)`, takes lots that never expire last.
    pub fn order_by_nulls<T, K>(
        mut self,
        column: Column<M, T, K>,
        direction: Order,
        nulls: NullOrdering,
    ) -> Self {
        let key = OrderKey::new(M::__model(), column.name(), direction, Some(nulls));
        self.order.push(key);
        self
    }

    /// Returns at most `limit` rows.
    pub fn limit(mut self, limit: u64) -> Self {
        self.paging.limit = Some(limit);
        self
    }

    /// Skips the first `offset` rows.
    pub fn offset(mut self, offset: u64) -> Self {
        self.paging.offset = Some(offset);
        self
    }

    /// Applies `f` with the value when there is one: optional filters
    /// without breaking the chain.
    ///
    /// ```
    /// # use tenancy_core::{Id, OrgId, Scope, Scoped};
    /// # #[derive(Scoped)]
    /// # #[tenancy(table = "recipes")]
    /// # struct Recipe { id: Id<Recipe>, organization_id: OrgId, name: String }
    /// # let scope = Scope::for_job(OrgId::new(1), "doc example");
    /// let name: Option<&str> = None;
    /// let select = Recipe::select(&scope).apply_if(name, |q, n| q.filter(Recipe::NAME.eq(n)));
    /// ```
    pub fn apply_if<V>(self, value: Option<V>, f: impl FnOnce(Self, V) -> Self) -> Self {
        match value {
            Some(value) => f(self, value),
            None => self,
        }
    }

    /// The SQL this select runs on `DB`, with the values bound to it.
    #[must_use]
    pub fn to_sql<DB: Backend>(&self) -> (String, Values) {
        self.rows_statement().render::<DB>()
    }

    /// Locks the matching rows for update until the end of the
    /// transaction it runs in (`FOR UPDATE` on PostgreSQL), so that no
    /// other transaction changes them between this read and the writes
    /// that follow. Prefer a guarded update
    /// ([`Update::only_if`](crate::Update::only_if)) where one statement
    /// can say it all.
    pub fn for_update(self) -> Locked<M> {
        Locked::new(self)
    }

    /// Every matching row.
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) when the statement fails or a row does not decode.
    pub async fn fetch_all<'c, A, DB>(self, connection: A) -> Result<Vec<M>>
    where
        A: Acquire<'c, Database = DB> + Send + 'c,
        DB: Backend,
        M: Table,
        DB: Stores<M>,
    {
        let tenant = self.reach.tenant(M::__model());
        let prepared = self.prepare_rows()?;
        exec::run(connection, tenant, move |mut lent| {
            Box::pin(async move { prepared.fetch_all(&mut lent).await })
        })
        .await
    }

    /// The first matching row, if any.
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) when the statement fails or the row does not
    /// decode.
    pub async fn fetch_optional<'c, A, DB>(self, connection: A) -> Result<Option<M>>
    where
        A: Acquire<'c, Database = DB> + Send + 'c,
        DB: Backend,
        M: Table,
        DB: Stores<M>,
    {
        let tenant = self.reach.tenant(M::__model());
        let prepared = self.limit(1).prepare_rows()?;
        exec::run(connection, tenant, move |mut lent| {
            Box::pin(async move { prepared.fetch_optional(&mut lent).await })
        })
        .await
    }

    /// How many rows match, ignoring ordering, limit and offset.
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) when the statement fails.
    pub async fn count<'c, A, DB>(self, connection: A) -> Result<u64>
    where
        A: Acquire<'c, Database = DB> + Send + 'c,
        DB: Backend,
        M: Table,
        DB: Stores<M>,
    {
        let model = M::__model();
        let base = ShapeKey::Count {
            access: self.reach.kind(),
            inactive: self.inactive,
        };
        let prepared = match self.filter.shape() {
            Some(filter) => {
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
                let render = || {
                    let filter = self.filter.with_sentinels();
                    query::count(model, &key_access(base), self.inactive, filter)
                };
                Prepared::<DB>::from_cache(key, render, &binds)?
            }
            None => Prepared::rendered(query::count(
                model,
                &self.reach.access(),
                self.inactive,
                self.filter.as_ref().map(Filter::condition),
            ))?,
        };
        let tenant = self.reach.tenant(model);
        exec::run(connection, tenant, move |mut lent| {
            Box::pin(async move { prepared.fetch_count(&mut lent).await })
        })
        .await
    }

    /// Which rows this read may see, for a join that reads through it.
    pub(crate) fn access(&self) -> Reach<Value> {
        self.reach.access()
    }

    /// Whom this read acts for, for a join that reads through it.
    pub(crate) fn tenant(&self) -> Tenant {
        self.reach.tenant(M::__model())
    }

    /// The parents' ordering, for a join that must repeat it.
    pub(crate) fn ordering(&self) -> &[OrderKey] {
        &self.order
    }

    pub(crate) fn rows_statement(&self) -> Statement {
        self.rows_statement_for(query::Purpose::Read)
    }

    /// The rows statement of the rows `purpose` reaches.
    pub(crate) fn rows_statement_for(&self, purpose: query::Purpose) -> Statement {
        query::list_for(
            M::__model(),
            &self.reach.access(),
            purpose,
            self.inactive,
            self.filter.as_ref().map(Filter::condition),
            &self.order,
            self.paging,
        )
    }

    /// Takes the model's statement from the cache, rendered once per
    /// shape of filter and ordering; renders one per call when a custom
    /// condition or ordering has no shape.
    fn prepare_rows<DB>(self) -> Result<Prepared<DB>>
    where
        M: Table,
        DB: Stores<M>,
    {
        let model = M::__model();
        let paging = self.paging.normalized();
        let base = ShapeKey::List {
            access: self.reach.kind(),
            inactive: self.inactive,
            limit: paging.limit.is_some(),
            offset: paging.offset.is_some(),
        };
        let order = self
            .order
            .iter()
            .map(OrderKey::shape)
            .collect::<Option<_>>();
        let (Some(filter), Some(order)) = (self.filter.shape(), order) else {
            return Prepared::rendered(self.rows_statement());
        };
        let key = CacheKey {
            base,
            filter,
            order,
        };
        let render = || {
            let sentinels = Paging {
                limit: paging.limit.map(|_| query::sentinel::limit()),
                offset: paging.offset.map(|_| query::sentinel::offset()),
            };
            let filter = self.filter.with_sentinels();
            let access = key_access(base);
            query::list(
                model,
                &access,
                self.inactive,
                filter,
                &self.order,
                sentinels,
            )
        };
        let values = self.filter.values();
        // Normalized limits and offsets fit in an i64.
        let as_key = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let binds = Binds::<M> {
            org: self.reach.org(),
            limit: paging.limit.map(as_key),
            offset: paging.offset.map(as_key),
            filter: &values,
            ..Binds::default()
        };
        Prepared::from_cache(key, render, &binds)
    }
}

/// Aggregates of the rows a select matches (its ordering and paging do not
/// apply).
impl<M: Table> Select<M> {
    /// The sum of `column` over the matching rows; zero without rows.
    pub fn sum<T: Summable, K>(self, column: Column<M, T, K>) -> Aggregate<M, One<T::Sum>> {
        let function = Function::Sum(T::__CAST);
        Aggregate::single(
            self.reach,
            self.inactive,
            self.filter,
            function,
            column.name(),
        )
    }

    /// The smallest value of `column` among the matching rows; `None`
    /// without rows.
    pub fn min<T, K>(self, column: Column<M, T, K>) -> Aggregate<M, One<Option<T>>> {
        Aggregate::single(
            self.reach,
            self.inactive,
            self.filter,
            Function::Min,
            column.name(),
        )
    }

    /// The largest value of `column` among the matching rows; `None`
    /// without rows.
    pub fn max<T, K>(self, column: Column<M, T, K>) -> Aggregate<M, One<Option<T>>> {
        Aggregate::single(
            self.reach,
            self.inactive,
            self.filter,
            Function::Max,
            column.name(),
        )
    }

    /// Groups the matching rows by the values of `column`, for one
    /// aggregate per group: `Lot::select(&scope).group_by(Lot::INGREDIENT_ID).sum(Lot::QUANTITY)`.
    pub fn group_by<G, K>(self, column: Column<M, G, K>) -> Grouped<M, G> {
        Grouped::new(self.reach, self.inactive, self.filter, column.name())
    }
}

impl<M: SoftDelete> Select<M> {
    /// Includes rows that soft delete deactivated.
    pub fn include_inactive(mut self) -> Self {
        self.inactive = true;
        self
    }
}

/// The access a cached statement of `key` is rendered with.
pub(crate) fn key_access(key: ShapeKey) -> Reach<Value> {
    let kind = match key {
        ShapeKey::List { access, .. }
        | ShapeKey::Count { access, .. }
        | ShapeKey::Find { access, .. }
        | ShapeKey::Insert { access }
        | ShapeKey::InsertRows { access, .. }
        | ShapeKey::Update { access, .. }
        | ShapeKey::Delete { access }
        | ShapeKey::Restore { access }
        | ShapeKey::Cascade { access, .. }
        | ShapeKey::Aggregate { access, .. }
        | ShapeKey::UpdateMatching { access, .. } => access,
    };
    kind.with_sentinel()
}

impl<M> fmt::Debug for Select<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Select")
            .field("reach", &self.reach)
            .field("inactive", &self.inactive)
            .field("filter", &self.filter)
            .field("order", &self.order)
            .field("paging", &self.paging)
            .finish()
    }
}
