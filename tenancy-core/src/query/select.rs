//! Reads: lists with filters, ordering and paging; counts; finds by id.

use std::fmt;
use std::marker::PhantomData;

use sea_query::{Condition, Order, Values};
use sqlx::Executor;

use super::{Paging, Statement};
use crate::column::{Column, Filter};
use crate::error::{Error, Result};
use crate::exec::{Backend, Prepared};
use crate::id::{Id, OrgId};
use crate::model::{RowCodec, Scoped};

/// Rows of one organization (or, from a `SystemScope`, of all), built by
/// [`Scoped::select`].
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
///     r#"SELECT "id", "organization_id", "name", "batch_size" FROM "recipes" WHERE "organization_id" = $1 AND "recipes"."batch_size" >= $2 ORDER BY "name" ASC, "id" ASC LIMIT $3"#
/// );
/// ```
///
/// # Ordering
///
/// Rows come ordered by [`order_by`](Self::order_by), then by id, so that
/// pages never overlap or skip a row; without `order_by`, by id alone.
#[must_use = "a select does nothing until it is fetched"]
pub struct Select<M> {
    org: Option<OrgId>,
    filter: Option<Condition>,
    order: Vec<(&'static str, Order)>,
    paging: Paging,
    model: PhantomData<fn() -> M>,
}

impl<M: Scoped> Select<M> {
    pub(crate) fn new(org: Option<OrgId>) -> Self {
        Self {
            org,
            filter: None,
            order: Vec::new(),
            paging: Paging::default(),
            model: PhantomData,
        }
    }

    /// Keeps only rows that match `filter`; several filters all apply.
    pub fn filter(mut self, filter: Filter<M>) -> Self {
        let condition = filter.into_condition();
        self.filter = Some(match self.filter.take() {
            Some(existing) => Condition::all().add(existing).add(condition),
            None => condition,
        });
        self
    }

    /// Orders by `column`; later calls order ties of earlier ones.
    pub fn order_by<T, K>(mut self, column: Column<M, T, K>, direction: Order) -> Self {
        self.order.push((column.name(), direction));
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

    /// Every matching row.
    ///
    /// # Errors
    ///
    /// [`Error::Database`] when the statement fails or a row does not decode.
    pub async fn fetch_all<'c, E>(self, executor: E) -> Result<Vec<M>>
    where
        E: Executor<'c>,
        E::Database: Backend,
        M: RowCodec<E::Database>,
    {
        self.prepare_rows()?.fetch_all(executor).await
    }

    /// The first matching row, if any.
    ///
    /// # Errors
    ///
    /// [`Error::Database`] when the statement fails or the row does not
    /// decode.
    pub async fn fetch_optional<'c, E>(self, executor: E) -> Result<Option<M>>
    where
        E: Executor<'c>,
        E::Database: Backend,
        M: RowCodec<E::Database>,
    {
        self.limit(1).prepare_rows()?.fetch_optional(executor).await
    }

    /// How many rows match, ignoring ordering, limit and offset.
    ///
    /// # Errors
    ///
    /// [`Error::Database`] when the statement fails.
    pub async fn count<'c, E>(self, executor: E) -> Result<u64>
    where
        E: Executor<'c>,
        E::Database: Backend,
    {
        let prepared = match (self.org, &self.filter) {
            (Some(org), None) => {
                let shapes = M::__model().shapes::<E::Database>();
                Prepared::cached(&shapes.count, &[org.get()])?
            }
            _ => Prepared::rendered(super::count(M::__model(), self.org, self.filter))?,
        };
        prepared.fetch_count(executor).await
    }

    fn rows_statement(&self) -> Statement {
        super::list(
            M::__model(),
            self.org,
            self.filter.clone(),
            &self.order,
            self.paging,
        )
    }

    /// Takes the model's cached statement when the shape is a plain page of
    /// one organization, and renders one otherwise.
    fn prepare_rows<DB: Backend>(self) -> Result<Prepared<DB>> {
        let (Some(org), None, true) = (self.org, &self.filter, self.order.is_empty()) else {
            return Prepared::rendered(self.rows_statement());
        };
        let list = &M::__model().shapes::<DB>().list;
        let org = org.get();
        // Normalized limits and offsets fit in an i64.
        let key = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        match self.paging.normalized() {
            Paging {
                limit: None,
                offset: None,
            } => Prepared::cached(&list[0], &[org]),
            Paging {
                limit: Some(limit),
                offset: None,
            } => Prepared::cached(&list[1], &[org, key(limit)]),
            Paging {
                limit,
                offset: Some(offset),
            } => Prepared::cached(
                &list[2],
                &[org, key(limit.unwrap_or(u64::MAX)), key(offset)],
            ),
        }
    }
}

impl<M> fmt::Debug for Select<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Select")
            .field("org", &self.org)
            .field("filter", &self.filter)
            .field("order", &self.order)
            .field("paging", &self.paging)
            .finish()
    }
}

/// The row with one id, if it belongs to the scope's organization, built
/// by [`Scoped::find`].
#[must_use = "a find does nothing until it is fetched"]
pub struct Find<M> {
    org: OrgId,
    id: Id<M>,
}

impl<M: Scoped> Find<M> {
    pub(crate) fn new(org: OrgId, id: Id<M>) -> Self {
        Self { org, id }
    }

    /// The SQL this find runs on `DB`, with the values bound to it.
    #[must_use]
    pub fn to_sql<DB: Backend>(&self) -> (String, Values) {
        super::find(M::__model(), self.org, self.id.get()).render::<DB>()
    }

    /// The row.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when no row has this id in the scope's
    /// organization (rows of other organizations included);
    /// [`Error::Database`] when the statement fails.
    pub async fn fetch_one<'c, E>(self, executor: E) -> Result<M>
    where
        E: Executor<'c>,
        E::Database: Backend,
        M: RowCodec<E::Database>,
    {
        self.fetch_optional(executor)
            .await?
            .ok_or(Error::NotFound { table: M::TABLE })
    }

    /// The row, or `None` when no row has this id in the scope's
    /// organization.
    ///
    /// # Errors
    ///
    /// [`Error::Database`] when the statement fails.
    pub async fn fetch_optional<'c, E>(self, executor: E) -> Result<Option<M>>
    where
        E: Executor<'c>,
        E::Database: Backend,
        M: RowCodec<E::Database>,
    {
        let shapes = M::__model().shapes::<E::Database>();
        Prepared::<E::Database>::cached(&shapes.find, &[self.org.get(), self.id.get()])?
            .fetch_optional(executor)
            .await
    }
}

impl<M> fmt::Debug for Find<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Find")
            .field("org", &self.org)
            .field("id", &self.id)
            .finish()
    }
}
