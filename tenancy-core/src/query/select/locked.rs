//! Selects that lock their rows for update until the transaction ends.

use std::fmt;

use sea_query::Values;

use super::Select;
use crate::error::Result;
use crate::exec::{Backend, Lent, Prepared};
use crate::model::{Stores, Table};
use crate::query::{Purpose, Statement};

/// Rows of a select locked for update until the transaction ends, built
/// by [`Select::for_update`].
///
/// It only runs in a transaction (`&mut tx`), the one whose later writes
/// the lock protects: begun by [`Scope::write`](crate::Scope::write) (or
/// [`Scope::begin`](crate::Scope::begin) on PostgreSQL; on SQLite only the
/// write transaction of `Scope::write` holds the lock, and a read-modify-
/// write in a deferred one may fail with [`Error::Busy`](crate::Error::Busy)(crate::Error::Busy)).
/// It locks rows the organization may write: on a shared table, its own,
/// never the system rows every organization reads. Given a pool, it does
/// not compile:
///
/// ```compile_fail
/// # use tenancy_core::{Id, OrgId, Scope, Scoped};
/// # #[derive(Scoped)]
/// # #[tenancy(table = "lots")]
/// # struct Lot { id: Id<Lot>, organization_id: OrgId, quantity: i64 }
/// # async fn demo(pool: sqlx::SqlitePool, scope: Scope) -> tenancy_core::Result<()> {
/// // error: expected `&mut Transaction<'_, _>`, found `&Pool<Sqlite>`
/// Lot::select(&scope).for_update().fetch_all(&pool).await?;
/// # Ok(())
/// # }
/// ```
#[must_use = "a select does nothing until it is fetched"]
pub struct Locked<M> {
    select: Select<M>,
    skip_locked: bool,
}

impl<M> Locked<M> {
    pub(super) fn new(select: Select<M>) -> Self {
        Self {
            select,
            skip_locked: false,
        }
    }
}

impl<M: Table> Locked<M> {
    /// Leaves out the rows another transaction holds locked instead of
    /// waiting for them (`SKIP LOCKED`): workers that each take the next
    /// free job.
    pub fn skip_locked(mut self) -> Self {
        self.skip_locked = true;
        self
    }

    fn statement(&self) -> Statement {
        let mut statement = self.select.rows_statement_for(Purpose::Write);
        if let Statement::Select(select) = &mut statement {
            let table = [M::__model().table];
            if self.skip_locked {
                select.lock_with_tables_behavior(
                    sea_query::LockType::Update,
                    table,
                    sea_query::LockBehavior::SkipLocked,
                );
            } else {
                select.lock_with_tables(sea_query::LockType::Update, table);
            }
        }
        statement
    }

    /// The SQL this select runs on `DB`, with the values bound to it. On
    /// SQLite it has no lock clause: a write transaction there
    /// ([`Scope::write`](crate::Scope::write)) already holds the one lock
    /// of the database.
    #[must_use]
    pub fn to_sql<DB: Backend>(&self) -> (String, Values) {
        self.statement().render::<DB>()
    }

    /// Every matching row, locked.
    ///
    /// # Errors
    ///
    /// [`Error::Busy`](crate::Error::Busy) when the lock meets a deadlock; [`Error::Database`](crate::Error::Database)
    /// when the statement fails or a row does not decode.
    pub async fn fetch_all<DB>(self, transaction: &mut sqlx::Transaction<'_, DB>) -> Result<Vec<M>>
    where
        DB: Backend,
        M: Table,
        DB: Stores<M>,
    {
        // Inside the transaction, which named its organization when it
        // began: nothing to add.
        Prepared::<DB>::rendered(self.statement())?
            .fetch_all(&mut Lent::plain(&mut **transaction))
            .await
    }

    /// The first matching row, if any, locked.
    ///
    /// # Errors
    ///
    /// As [`fetch_all`](Self::fetch_all).
    pub async fn fetch_optional<DB>(
        mut self,
        transaction: &mut sqlx::Transaction<'_, DB>,
    ) -> Result<Option<M>>
    where
        DB: Backend,
        M: Table,
        DB: Stores<M>,
    {
        self.select = self.select.limit(1);
        Prepared::<DB>::rendered(self.statement())?
            .fetch_optional(&mut Lent::plain(&mut **transaction))
            .await
    }
}

impl<M> fmt::Debug for Locked<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Locked")
            .field("select", &self.select)
            .field("skip_locked", &self.skip_locked)
            .finish()
    }
}
