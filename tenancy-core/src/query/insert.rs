//! Inserts: a new row in the scope's organization (or a system or global
//! row, from a system scope).

use std::fmt;

use sea_query::{Value, Values};
use sqlx::Acquire;

use super::plan::ShapeKey;
use super::select::key_access;
use super::{Reach, refusal, sentinel};
use crate::error::Result;
use crate::exec::{self, Backend, Binds, Lent, Prepared};
use crate::id::OrgId;
use crate::model::{Stores, Table};

/// A new row, built by [`Scoped::insert`](crate::Scoped::insert).
///
/// The organization comes from the scope: the values (`M::New`) have no
/// organization field, so a row cannot be inserted into another
/// organization by mistake or by a client's payload. Columns that reference
/// other tenant rows are checked in the same statement: a reference to a row
/// the organization cannot see inserts nothing.
#[must_use = "an insert does nothing until it is executed"]
pub struct Insert<M: Table> {
    reach: Reach,
    new: M::New,
}

impl<M: Table> Insert<M> {
    pub(crate) fn for_org(org: OrgId, new: M::New) -> Self {
        Self {
            reach: Reach::Org(org),
            new,
        }
    }

    pub(crate) fn system(new: M::New) -> Self {
        Self {
            reach: Reach::SystemRows,
            new,
        }
    }

    pub(crate) fn global(new: M::New) -> Self {
        Self {
            reach: Reach::All,
            new,
        }
    }

    /// The SQL this insert runs on `DB`. Its values are the organization and
    /// placeholders for the new row's fields, which are bound when it runs.
    #[must_use]
    pub fn to_sql<DB: Backend>(&self) -> (String, Values) {
        super::insert(M::__model(), &self.reach.access(), placeholders::<M>()).render::<DB>()
    }

    /// Inserts the row and returns it as stored, with its id and any
    /// values the database filled in.
    ///
    /// Takes a pool, a connection or a transaction (`&mut *tx`): anything
    /// that can lend a connection, on which a refused insert is explained.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`](crate::Error::Invalid) naming the field when a reference names a row the
    /// organization cannot see (nothing is written); [`Error::Conflict`](crate::Error::Conflict) when
    /// a unique key or foreign key refuses the row, [`Error::Invalid`](crate::Error::Invalid) when a
    /// check or not-null constraint does, [`Error::Database`](crate::Error::Database) when the
    /// statement fails otherwise.
    pub async fn execute<'c, A, DB>(self, connection: A) -> Result<M>
    where
        A: Acquire<'c, Database = DB> + Send + 'c,
        DB: Backend,
        M: Table,
        DB: Stores<M>,
    {
        let model = M::__model();
        let key = ShapeKey::Insert {
            access: self.reach.kind(),
        };
        let binds = Binds::<M> {
            org: self.reach.org(),
            new: Some(&self.new),
            ..Binds::default()
        };
        let prepared = Prepared::<DB>::from_cache(
            key,
            || super::insert(model, &key_access(key), placeholders::<M>()),
            &binds,
        )?;
        let (reach, new) = (self.reach, self.new);
        exec::run(connection, reach.tenant(model), move |mut lent| {
            Box::pin(async move {
                match prepared.fetch_optional(&mut lent).await? {
                    Some(row) => Ok(row),
                    None => {
                        let references = M::__references(&new);
                        Err(refusal::explain::<DB>(
                            &mut lent,
                            model,
                            reach,
                            None,
                            false,
                            &references,
                            Vec::new(),
                        )
                        .await)
                    }
                }
            })
        })
        .await
    }
}

/// New rows inserted in as few statements as the backend's limit on bound
/// values allows, built by [`Scoped::insert_many`](crate::Scoped::insert_many).
///
/// All or nothing: the statements run in one transaction (a savepoint
/// inside the caller's), and every row's references are checked as a lone
/// insert checks them; when one is refused, no row is written.
#[must_use = "an insert does nothing until it is executed"]
pub struct InsertMany<M: Table> {
    reach: Reach,
    rows: Vec<M::New>,
}

/// The most rows one statement of a many-row insert takes, whatever the
/// backend allows: past a few hundred, longer statements save nothing.
const ROWS_PER_STATEMENT: usize = 500;

impl<M: Table> InsertMany<M> {
    pub(crate) fn for_org(org: OrgId, rows: Vec<M::New>) -> Self {
        Self {
            reach: Reach::Org(org),
            rows,
        }
    }

    pub(crate) fn global(rows: Vec<M::New>) -> Self {
        Self {
            reach: Reach::All,
            rows,
        }
    }

    /// The SQL of the first statement this insert runs on `DB` (placeholders
    /// for the rows' fields, as [`Insert::to_sql`]).
    #[must_use]
    pub fn to_sql<DB: Backend>(&self) -> (String, Values) {
        let rows = self.rows.len().clamp(1, ROWS_PER_STATEMENT);
        super::insert_rows(
            M::__model(),
            &self.reach.access(),
            row_placeholders::<M>(rows),
        )
        .render::<DB>()
    }

    /// Inserts every row and returns them as stored, in the order given.
    /// No rows: nothing runs, and the answer is empty.
    ///
    /// The order comes from the ids: the database numbers the rows of one
    /// statement in the order it inserts them, as an identity column, a
    /// sequence with a positive increment and SQLite's row ids do. A table
    /// whose ids are not increasing (random keys, a descending sequence)
    /// gets its rows back in the order of their ids.
    ///
    /// Takes a pool, a connection or a transaction (`&mut *tx`).
    ///
    /// # Errors
    ///
    /// As [`Insert::execute`]; a refused reference is
    /// [`Error::Invalid`](crate::Error::Invalid) naming the column, whose
    /// reason says which row (counting from 0). Nothing is written.
    pub async fn execute<'c, A, DB>(self, connection: A) -> Result<Vec<M>>
    where
        A: Acquire<'c, Database = DB> + Send + 'c,
        DB: Backend,
        M: Table,
        DB: Stores<M>,
    {
        if self.rows.is_empty() {
            return Ok(Vec::new());
        }
        let model = M::__model();
        let reach = self.reach;
        let shape = move |rows: usize| {
            let key = ShapeKey::InsertRows {
                access: reach.kind(),
                rows,
            };
            model.shapes::<DB>().get::<DB>(key, || {
                super::insert_rows(model, &key_access(key), row_placeholders::<M>(rows))
            })
        };
        // Every row binds as many values as the first.
        let per_row = shape(1)?.params.len().max(1);
        let per_statement = (DB::MAX_BINDS / per_row).clamp(1, ROWS_PER_STATEMENT);
        let rows = self.rows;
        exec::run_atomic(connection, reach.tenant(model), move |mut lent| {
            Box::pin(async move {
                let mut stored = Vec::with_capacity(rows.len());
                for (number, chunk) in rows.chunks(per_statement).enumerate() {
                    let binds = Binds::<M> {
                        org: reach.org(),
                        rows: chunk,
                        ..Binds::default()
                    };
                    let shape = shape(chunk.len())?;
                    let prepared = Prepared::<DB>::cached(&shape, &binds)?;
                    let mut inserted: Vec<M> = prepared.fetch_all(&mut lent).await?;
                    if inserted.len() < chunk.len() {
                        let first = number * per_statement;
                        return Err(refused::<M, DB>(&mut lent, reach, chunk, first).await);
                    }
                    // The database numbers new rows in the order it inserts
                    // them, which is the order of the statement.
                    inserted.sort_by_key(Table::__id);
                    stored.append(&mut inserted);
                }
                Ok(stored)
            })
        })
        .await
    }
}

/// The error of a chunk of rows of which some were left out: the first row
/// whose reference the organization cannot see.
async fn refused<M: Table, DB: Stores<M>>(
    connection: &mut Lent<'_, DB>,
    reach: Reach,
    rows: &[M::New],
    first: usize,
) -> crate::Error {
    let model = M::__model();
    for (offset, new) in rows.iter().enumerate() {
        let references = M::__references(new);
        let error = refusal::explain::<DB>(
            connection,
            model,
            reach,
            None,
            false,
            &references,
            Vec::new(),
        )
        .await;
        match error {
            crate::Error::Conflict { .. } => continue,
            crate::Error::Invalid { field, reason } => {
                let row = first + offset;
                return crate::Error::Invalid {
                    field,
                    reason: format!("the row at index {row} {reason}").into(),
                };
            }
            other => return other,
        }
    }
    // Every reference is visible now: one was deactivated and restored
    // meanwhile. Trying again may succeed.
    crate::Error::Conflict { constraint: None }
}

/// The sentinels of every field of `rows` new rows.
fn row_placeholders<M: Table>(rows: usize) -> Vec<Vec<Value>> {
    let fields = M::__model().insert_columns.len();
    (0..rows)
        .map(|row| {
            (0..fields)
                .map(|field| sentinel::row_field(row, field))
                .collect()
        })
        .collect()
}

impl<M: Table> fmt::Debug for InsertMany<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InsertMany")
            .field("table", &M::__model().table)
            .field("reach", &self.reach)
            .field("rows", &self.rows.len())
            .finish()
    }
}

/// The sentinels of every field of a new row.
fn placeholders<M: Table>() -> Vec<Value> {
    (0..M::__model().insert_columns.len())
        .map(sentinel::new_field)
        .collect()
}

impl<M: Table> fmt::Debug for Insert<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Insert")
            .field("table", &M::__model().table)
            .field("reach", &self.reach)
            .finish_non_exhaustive()
    }
}
