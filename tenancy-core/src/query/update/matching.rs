//! Updates of every row a filter matches, in one statement.

use sea_query::Values;
use sqlx::Acquire;

use super::Update;
use super::rows::Matching;
use crate::error::{Error, Result};
use crate::exec::{self, Backend};
use crate::model::{Stores, Table};
use crate::query::plan::ShapeKey;
use crate::query::{Change, Rows, refusal};

impl<M: Table> Update<M, Matching> {
    /// The SQL this update runs on `DB`, with the values bound to it.
    #[must_use]
    pub fn to_sql<DB: Backend>(&self) -> (String, Values) {
        self.statement(Rows::Matching, &self.reach.access())
            .render::<DB>()
    }

    /// Applies the changes to every (active) row of the scope's
    /// organization that matches the filter, in one statement, and returns
    /// how many rows it changed. With nothing set, changes nothing.
    ///
    /// Takes a pool, a connection or a transaction (`&mut *tx`).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`](crate::Error::Invalid) naming the field when a
    /// reference names a row the organization cannot see (nothing is
    /// written) or a constraint refuses a value;
    /// [`Error::Conflict`](crate::Error::Conflict) when a unique key does;
    /// [`Error::Busy`](crate::Error::Busy) when concurrent work got in the
    /// way; [`Error::Database`](crate::Error::Database) when the statement
    /// fails.
    pub async fn execute<'c, A, DB>(self, connection: A) -> Result<u64>
    where
        A: Acquire<'c, Database = DB> + Send + 'c,
        DB: Backend,
        M: Table,
        DB: Stores<M>,
    {
        self.refusal()?;
        let model = M::__model();
        let tenant = self.reach.tenant(model);
        let references: Vec<(&'static str, Option<i64>)> = self
            .changes
            .iter()
            .filter_map(|(_, name, change)| match change {
                Change::Set(value) => Some((*name, refusal::key_of(value))),
                Change::Add { .. } | Change::Subtract { .. } => None,
            })
            .filter(|(name, _)| model.references.iter().any(|r| r.column == *name))
            .collect();
        if self.changes.is_empty() {
            return Ok(0);
        }
        let base = self.masks().map(|[columns, ..]| ShapeKey::UpdateMatching {
            access: self.reach.kind(),
            columns,
        });
        let prepared = self.prepare::<DB>(base, Rows::Matching, None)?;
        let reach = self.reach;
        exec::run(connection, tenant, move |mut lent| {
            Box::pin(async move {
                let changed = prepared.execute(&mut lent).await?;
                if changed == 0 && !references.is_empty() {
                    // No row matched, or a reference was refused: tell
                    // the second apart, as a one-row update would.
                    let refused = refusal::explain::<DB>(
                        &mut lent,
                        model,
                        reach,
                        None,
                        false,
                        &references,
                        Vec::new(),
                    )
                    .await;
                    if !matches!(refused, Error::Conflict { .. }) {
                        return Err(refused);
                    }
                }
                Ok(changed)
            })
        })
        .await
    }
}
