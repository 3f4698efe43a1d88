//! Updates of one row by id: values set, or moved by amounts in the
//! statement itself, under a guard; a refusal is explained.

use sea_query::{Condition, ExprTrait, Value, Values};
use sqlx::Acquire;

use super::Update;
use super::rows::ById;
use crate::column::{Column, Filter, Numeric, Settable};
use crate::error::Result;
use crate::exec::{self, Backend, Prepared};
use crate::model::{RowCodec, Table};
use crate::query::plan::ShapeKey;
use crate::query::refusal::{self, Requirement, Unmet};
use crate::query::{self as query, Change, Rows};

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
        M: RowCodec<DB>,
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
            return exec::run(connection, tenant, move |conn| {
                Box::pin(async move {
                    match prepared.fetch_optional(DB::__executor(&mut *conn)).await? {
                        Some(row) => Ok(row),
                        None => Err(refusal::explain::<DB>(
                            conn,
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
        exec::run(connection, tenant, move |conn| {
            Box::pin(async move {
                if let Some(row) = prepared.fetch_optional(DB::__executor(&mut *conn)).await? {
                    return Ok(row);
                }
                Err(refusal::explain::<DB>(
                    conn,
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
