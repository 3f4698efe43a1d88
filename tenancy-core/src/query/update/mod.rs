//! Updates: chosen columns of one row by id, set to values or moved by
//! amounts in the statement itself, under a guard; or of every row a
//! filter matches (`matching`).
//!
//! The methods that take columns are in this file, so that the compiler's
//! messages about a column name `Update::add`, not a module of this crate.

mod matching;

use std::fmt;
use std::marker::PhantomData;

use sea_query::{Condition, ExprTrait, Value, Values};
use sqlx::Acquire;

use crate::column::{Column, Filter, Numeric, Settable};
use crate::error::{Error, Result};
use crate::exec::{self, Backend, Binds, Prepared};
use crate::filter::MaybeFilter;
use crate::id::{Id, OrgId};
use crate::model::{Stores, Table};
use crate::query::plan::{CacheKey, ShapeKey};
use crate::query::refusal::{self, Requirement, Unmet};
use crate::query::select::key_access;
use crate::query::{self as query, Change, Reach, Rows, sentinel};

/// Which rows an [`Update`] changes: the markers of its second parameter.
pub mod rows {
    /// One row, by id: the update returns it as stored.
    #[derive(Debug)]
    pub struct ById {
        pub(super) id: i64,
    }

    /// Every row a filter matches: the update returns how many it changed.
    #[derive(Debug)]
    pub struct Matching;
}

use rows::{ById, Matching};

/// Changes to chosen columns of one row ([`Scoped::update`](crate::Scoped::update))
/// or of every row a filter matches
/// ([`Scoped::update_matching`](crate::Scoped::update_matching)).
///
/// Only data columns can be set: the id and the organization of a row are
/// fixed when it is inserted, and naming them does not compile. A column
/// that references another tenant row is checked in the same statement.
///
/// ```compile_fail
/// # use tenancy_core::{Id, OrgId, Scope, Scoped};
/// # #[derive(Scoped)]
/// # #[tenancy(table = "recipes")]
/// # struct Recipe { id: Id<Recipe>, organization_id: OrgId, name: String }
/// # let scope = Scope::for_job(OrgId::new(1), "doc example");
/// // error: an update cannot set this column
/// Recipe::update(&scope, Id::new(1)).set(Recipe::ORGANIZATION_ID, OrgId::new(2));
/// ```
///
/// # Read, modify, write in one statement
///
/// Reading a quantity and writing back what is left loses updates: two
/// requests read 10, both write 10 − 3, and 6 were taken from a stock
/// that says 7. Move the value in the statement instead, with a guard
/// that the database checks on the row as it is when the update runs:
///
/// ```
/// # use tenancy_core::{Id, OrgId, Scope, Scoped};
/// #[derive(Scoped)]
/// #[tenancy(table = "lots")]
/// struct Lot { id: Id<Lot>, organization_id: OrgId, quantity: i64 }
///
/// # let scope = Scope::for_job(OrgId::new(1), "doc example");
/// # let lot = Id::new(1);
/// let take = 3;
/// let update = Lot::update(&scope, lot)
///     .subtract(Lot::QUANTITY, take)
///     .only_if(Lot::QUANTITY.gte(take));
/// # #[cfg(feature = "postgres")]
/// assert_eq!(
///     update.to_sql::<sqlx::Postgres>().0,
///     r#"UPDATE "lots" SET "quantity" = "lots"."quantity" - $1 WHERE "lots"."organization_id" = $2 AND "lots"."id" = $3 AND "lots"."quantity" >= $4 AND "lots"."quantity" >= $5 RETURNING "id", "organization_id", "quantity""#
/// );
/// ```
///
/// Run it and it either takes 3 or answers
/// [`Error::ConditionFailed`](crate::Error::ConditionFailed), whatever
/// other requests do at the same time.
#[must_use = "an update does nothing until it is executed"]
pub struct Update<M, R = ById> {
    reach: Reach,
    rows: R,
    /// Column index in the model, name, change; in column order.
    changes: Vec<(usize, &'static str, Change)>,
    /// The rows must also match this: the guard of a one-row update, the
    /// filter of an update of many.
    condition: Option<Filter<M>>,
    /// The first value refused while building, reported by `execute`.
    refused: Option<(&'static str, &'static str)>,
    model: PhantomData<fn() -> M>,
}

impl<M: Table> Update<M, ById> {
    pub(crate) fn for_org(org: OrgId, id: Id<M>) -> Self {
        Self::new(Reach::Org(org), ById { id: id.get() })
    }

    pub(crate) fn system(id: Id<M>) -> Self {
        Self::new(Reach::SystemRows, ById { id: id.get() })
    }

    pub(crate) fn global(id: Id<M>) -> Self {
        Self::new(Reach::All, ById { id: id.get() })
    }
}

impl<M: Table> Update<M, Matching> {
    pub(crate) fn matching_for_org(org: OrgId, filter: Filter<M>) -> Self {
        let mut update = Self::new(Reach::Org(org), Matching);
        update.condition = Some(filter);
        update
    }

    pub(crate) fn matching_global(filter: Filter<M>) -> Self {
        let mut update = Self::new(Reach::All, Matching);
        update.condition = Some(filter);
        update
    }
}

impl<M: Table, R> Update<M, R> {
    fn new(reach: Reach, rows: R) -> Self {
        Self {
            reach,
            rows,
            changes: Vec::new(),
            condition: None,
            refused: None,
            model: PhantomData,
        }
    }

    fn change(mut self, name: &'static str, change: Change) -> Self {
        // A column the model does not list (impossible through the derive)
        // sorts last and is never cached.
        let index = M::__model()
            .columns
            .iter()
            .position(|column| *column == name)
            .unwrap_or(usize::MAX);
        match self.changes.binary_search_by_key(&index, |(i, _, _)| *i) {
            Ok(at) => self.changes[at].2 = change,
            Err(at) => self.changes.insert(at, (index, name, change)),
        }
        self
    }

    /// Sets `column` to `value`; changing a column twice keeps the last
    /// change.
    pub fn set<T, K>(self, column: Column<M, T, K>, value: impl Into<T>) -> Self
    where
        T: Into<Value>,
        K: Settable,
    {
        let value = value.into().into();
        self.change(column.name(), Change::Set(value))
    }

    /// Applies `f` with the value when there is one: the fields of a
    /// partial update without breaking the chain.
    pub fn apply_if<V>(self, value: Option<V>, f: impl FnOnce(Self, V) -> Self) -> Self {
        match value {
            Some(value) => f(self, value),
            None => self,
        }
    }

    fn statement(&self, rows: Rows, access: &super::Reach<Value>) -> super::Statement {
        let changes: Vec<_> = self
            .changes
            .iter()
            .map(|(_, name, change)| (*name, change.clone()))
            .collect();
        let condition = self.condition.as_ref().map(Filter::condition);
        query::update(M::__model(), access, rows, &changes, condition)
    }

    /// The statement from the cache: rendered once per shape of changes
    /// (and of condition) with sentinels, bound with this call's values;
    /// rendered per call past 64 columns or with a custom condition.
    fn prepare<DB>(
        &self,
        base: Option<ShapeKey>,
        rows: Rows,
        id: Option<i64>,
    ) -> Result<Prepared<DB>>
    where
        M: Table,
        DB: Stores<M>,
    {
        let model = M::__model();
        let plain = self
            .changes
            .iter()
            .all(|(_, _, change)| change.values().all(crate::filter::cacheable));
        let base = base.filter(|_| plain);
        let (Some(base), Some(filter)) = (base, self.condition.shape()) else {
            return Prepared::<DB>::rendered(self.statement(rows, &self.reach.access()));
        };
        let render = || {
            let mut next = 0;
            let changes: Vec<_> = self
                .changes
                .iter()
                .map(|(_, name, change)| (*name, change.with_sentinels(&mut next)))
                .collect();
            let rows = match rows {
                Rows::Id(_) => Rows::Id(sentinel::id()),
                Rows::Matching => Rows::Matching,
            };
            let condition = self.condition.with_sentinels();
            query::update(model, &key_access(base), rows, &changes, condition)
        };
        let key = CacheKey {
            base,
            filter,
            order: Box::default(),
        };
        let values: Vec<Value> = self
            .changes
            .iter()
            .flat_map(|(_, _, change)| change.values().cloned())
            .collect();
        let filter = self.condition.values();
        let binds = Binds::<M> {
            org: self.reach.org(),
            id,
            sets: &values,
            filter: &filter,
            ..Binds::default()
        };
        Prepared::<DB>::from_cache(key, render, &binds)
    }

    /// The columns changed, as bits of their indexes, and which of them
    /// are added to and subtracted from; `None` past 64 columns.
    fn masks(&self) -> Option<[u64; 3]> {
        let mut masks = [0_u64; 3];
        for (index, _, change) in &self.changes {
            let bit = u32::try_from(*index)
                .ok()
                .and_then(|index| 1_u64.checked_shl(index))?;
            let kind = match change {
                Change::Set(_) => 0,
                Change::Add { .. } => 1,
                Change::Subtract { .. } => 2,
            };
            masks[kind] |= bit;
        }
        Some(masks)
    }

    /// The error of a value refused while building, if any.
    fn refusal(&self) -> Result<()> {
        match self.refused {
            Some((field, reason)) => Err(Error::invalid(field, reason)),
            None => Ok(()),
        }
    }
}

impl<M: Table> Update<M, ById> {
    /// Adds `amount` to `column` in the statement itself (`SET column =
    /// column + $amount`), so that concurrent updates never lose one
    /// another's change.
    ///
    /// `amount` must be more than zero ([`subtract`](Self::subtract) goes
    /// the other way), or `execute` refuses it with
    /// [`Error::Invalid`](crate::Error::Invalid) naming the column and
    /// writes nothing; so does a sum beyond what the type holds.
    pub fn add<T, K>(self, column: Column<M, T, K>, amount: T) -> Self
    where
        T: Numeric,
        K: Settable,
    {
        self.relative(column, amount, |amount| Change::Add {
            amount: amount.into(),
            ceiling: amount.__ceiling().into(),
        })
    }

    /// Subtracts `amount` from `column` in the statement itself (`SET
    /// column = column - $amount`). Pair it with a guard,
    /// `.only_if(M::COLUMN.gte(amount))`, to never go below zero.
    ///
    /// `amount` must be more than zero, or `execute` refuses it with
    /// [`Error::Invalid`](crate::Error::Invalid) naming the column and
    /// writes nothing; so does a difference beyond what the type holds.
    pub fn subtract<T, K>(self, column: Column<M, T, K>, amount: T) -> Self
    where
        T: Numeric,
        K: Settable,
    {
        self.relative(column, amount, |amount| Change::Subtract {
            amount: amount.into(),
            floor: amount.__floor().into(),
        })
    }

    fn relative<T: Numeric, K>(
        mut self,
        column: Column<M, T, K>,
        amount: T,
        change: impl FnOnce(T) -> Change,
    ) -> Self {
        if !amount.__is_positive() {
            self.refused
                .get_or_insert((column.name(), "must be more than zero"));
            return self;
        }
        self.change(column.name(), change(amount))
    }

    /// Changes the row only if it also matches `guard`, checked by the
    /// database on the row as it is when the update runs (after waiting
    /// for any concurrent change of it). When the row is there but does
    /// not match, `execute` answers
    /// [`Error::ConditionFailed`](crate::Error::ConditionFailed) and
    /// writes nothing. Several guards all apply.
    pub fn only_if(mut self, guard: Filter<M>) -> Self {
        self.condition = Some(match self.condition.take() {
            Some(existing) => existing.and(guard),
            None => guard,
        });
        self
    }

    /// The SQL this update runs on `DB`, with the values bound to it.
    #[must_use]
    pub fn to_sql<DB: Backend>(&self) -> (String, Values) {
        let id = Value::BigInt(Some(self.rows.id));
        self.statement(Rows::Id(id), &self.reach.access())
            .render::<DB>()
    }

    fn shape_key(&self) -> Option<ShapeKey> {
        let [columns, adds, subtracts] = self.masks()?;
        Some(ShapeKey::Update {
            access: self.reach.kind(),
            columns: columns | adds | subtracts,
            adds,
            subtracts,
        })
    }

    /// What the row must meet besides being there: the guard, and the
    /// range of each relative change.
    fn requirements(&self) -> Vec<Requirement> {
        let table = M::__model().table;
        let bounds = self.changes.iter().filter_map(|(_, name, change)| {
            let bound = change.bound(sea_query::Expr::col((table, *name)))?;
            Some(Requirement {
                condition: Condition::all().add(bound),
                unmet: Unmet::Range(name),
            })
        });
        let guard = self.condition.iter().map(|guard| Requirement {
            condition: guard.condition(),
            unmet: Unmet::Guard,
        });
        guard.chain(bounds).collect()
    }

    /// Applies the changes and returns the row as stored. With nothing
    /// changed, returns the row as it is (if it meets the guard), as
    /// [`Scoped::find`](crate::Scoped::find) would.
    ///
    /// Takes a pool, a connection or a transaction (`&mut *tx`).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::Error::NotFound) when no row has this id
    /// in the scope's organization (rows of other organizations are left
    /// alone and reported the same way); [`Error::ConditionFailed`](crate::Error::ConditionFailed)
    /// when the row does not meet the guard; [`Error::Forbidden`](crate::Error::Forbidden)
    /// for a system row of a shared table; [`Error::Invalid`](crate::Error::Invalid)
    /// naming the field when a reference names a row the organization
    /// cannot see, an amount is not more than zero, a relative change would
    /// leave the type's range, or a constraint refuses a value;
    /// [`Error::Conflict`](crate::Error::Conflict) when a unique key does;
    /// [`Error::Busy`](crate::Error::Busy) when concurrent work got in the
    /// way; [`Error::Database`](crate::Error::Database) when the statement
    /// fails.
    pub async fn execute<'c, A, DB>(self, connection: A) -> Result<M>
    where
        A: Acquire<'c, Database = DB> + Send + 'c,
        DB: Backend,
        M: Table,
        DB: Stores<M>,
    {
        self.refusal()?;
        let model = M::__model();
        let access = self.reach.access();
        let id = self.rows.id;
        let tenant = self.reach.tenant(model);
        let requirements = self.requirements();
        let reach = self.reach;
        if self.changes.is_empty() {
            // Nothing to change: the row as it is, as a find would read it.
            let mut filter =
                Condition::all().add(sea_query::Expr::col((model.table, model.id_column)).eq(id));
            if let Some(guard) = &self.condition {
                filter = filter.add(guard.condition());
            }
            let find = query::list(
                model,
                &access,
                false,
                Some(filter),
                &[],
                query::Paging::default(),
            );
            let prepared = Prepared::<DB>::rendered(find)?;
            return exec::run(connection, tenant, move |mut lent| {
                Box::pin(async move {
                    match prepared.fetch_optional(&mut lent).await? {
                        Some(row) => Ok(row),
                        None => Err(refusal::explain::<DB>(
                            &mut lent,
                            model,
                            reach,
                            Some(id),
                            false,
                            &[],
                            requirements,
                        )
                        .await),
                    }
                })
            })
            .await;
        }
        let rows = Rows::Id(Value::BigInt(Some(id)));
        let prepared = self.prepare::<DB>(self.shape_key(), rows, Some(id))?;
        let references: Vec<(&'static str, Option<i64>)> = self
            .changes
            .iter()
            .filter_map(|(_, name, change)| match change {
                Change::Set(value) => Some((*name, refusal::key_of(value))),
                Change::Add { .. } | Change::Subtract { .. } => None,
            })
            .collect();
        exec::run(connection, tenant, move |mut lent| {
            Box::pin(async move {
                if let Some(row) = prepared.fetch_optional(&mut lent).await? {
                    return Ok(row);
                }
                Err(refusal::explain::<DB>(
                    &mut lent,
                    model,
                    reach,
                    Some(id),
                    false,
                    &references,
                    requirements,
                )
                .await)
            })
        })
        .await
    }
}

impl<M, R: fmt::Debug> fmt::Debug for Update<M, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Update")
            .field("reach", &self.reach)
            .field("rows", &self.rows)
            // Names only: values may be secrets.
            .field(
                "columns",
                &self
                    .changes
                    .iter()
                    .map(|(_, name, _)| name)
                    .collect::<Vec<_>>(),
            )
            .field("condition", &self.condition)
            .finish()
    }
}
