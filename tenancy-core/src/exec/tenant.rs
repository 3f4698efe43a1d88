//! Whom a transaction acts for: the transaction-local settings that
//! PostgreSQL's row-level security policies read, set when a transaction
//! begins and gone when it ends, so that a pooled connection never carries
//! one organization's setting to the next user.

use futures_util::future::BoxFuture;
use sqlx::{SqlSafeStr, SqlStr};

use super::{Backend, acquire};
use crate::ddl;
use crate::error::Result;
use crate::id::OrgId;

/// Whom a transaction acts for, as row-level security sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tenant {
    /// One organization.
    Org(OrgId),
    /// Every organization: a [`SystemScope`](crate::SystemScope)'s work.
    System,
    /// Nobody in particular: reads of global tables, which have no policy.
    Unscoped,
}

impl Tenant {
    /// The statement that begins a transaction acting for this tenant on
    /// PostgreSQL: one message, so that naming the tenant costs no round
    /// trip of its own; `None` when nothing needs naming.
    ///
    /// `SET LOCAL` rather than `set_config(.., true)`: the same
    /// transaction-local setting, and the one form that Citus forwards to
    /// its workers (`citus.propagate_set_commands = 'local'`).
    pub(crate) fn begin_statement(self) -> Option<SqlStr> {
        let (name, value) = match self {
            // An `i64` printed in decimal: digits and a sign, nothing to
            // escape.
            Self::Org(org) => (ddl::ORG_SETTING, org.get().to_string()),
            Self::System => (ddl::SYSTEM_SETTING, "on".to_owned()),
            Self::Unscoped => return None,
        };
        let sql = format!("BEGIN; SET LOCAL {name} = '{value}'");
        Some(sqlx::AssertSqlSafe(sql).into_sql_str())
    }
}

/// Begins a transaction acting for `tenant` on `connection` (on SQLite, a
/// plain one).
async fn begin<DB: Backend>(
    connection: &mut DB::Connection,
    tenant: Tenant,
) -> Result<sqlx::Transaction<'_, DB>> {
    let statement = tenant.begin_statement().filter(|_| DB::ROW_LEVEL_SECURITY);
    Ok(match statement {
        Some(statement) if !sqlx::Connection::is_in_transaction(connection) => {
            sqlx::Connection::begin_with(connection, statement).await?
        }
        _ => sqlx::Connection::begin(connection).await?,
    })
}

/// Begins a transaction acting for `tenant` on a connection of `pool`.
pub(crate) async fn begin_on_pool<DB: Backend>(
    pool: &sqlx::Pool<DB>,
    tenant: Tenant,
) -> Result<sqlx::Transaction<'static, DB>> {
    Ok(
        match tenant.begin_statement().filter(|_| DB::ROW_LEVEL_SECURITY) {
            Some(statement) => pool.begin_with(statement).await?,
            None => pool.begin().await?,
        },
    )
}

/// Runs `work` on a connection lent by `lender`, acting for `tenant`.
///
/// On PostgreSQL, outside a transaction, `work` runs in one that begins by
/// naming the tenant (`BEGIN; SET LOCAL tenancy.org_id = ..` in one message)
/// and commits after it: three round trips, and the setting ends with the
/// transaction, so a pooled connection never carries it to its next user.
/// Inside the caller's transaction, `work` runs as is: the transaction
/// names its tenant when it begins ([`Scope::begin`](crate::Scope::begin)),
/// and one that does not sees no row of a table with row-level security.
/// On SQLite, `work` just runs.
pub(crate) async fn run<'c, A, DB, T>(
    lender: A,
    tenant: Tenant,
    work: impl for<'a> FnOnce(&'a mut DB::Connection) -> BoxFuture<'a, Result<T>> + Send,
) -> Result<T>
where
    A: sqlx::Acquire<'c, Database = DB> + Send + 'c,
    DB: Backend,
    T: Send,
{
    run_with(lender, tenant, false, work).await
}

/// [`run`], but `work` always runs in a transaction of its own, so that it
/// commits or rolls back as a whole: the one that names the tenant, a
/// plain one, or a savepoint inside the caller's.
pub(crate) async fn run_atomic<'c, A, DB, T>(
    lender: A,
    tenant: Tenant,
    work: impl for<'a> FnOnce(&'a mut DB::Connection) -> BoxFuture<'a, Result<T>> + Send,
) -> Result<T>
where
    A: sqlx::Acquire<'c, Database = DB> + Send + 'c,
    DB: Backend,
    T: Send,
{
    run_with(lender, tenant, true, work).await
}

async fn run_with<'c, A, DB, T>(
    lender: A,
    tenant: Tenant,
    atomic: bool,
    work: impl for<'a> FnOnce(&'a mut DB::Connection) -> BoxFuture<'a, Result<T>> + Send,
) -> Result<T>
where
    A: sqlx::Acquire<'c, Database = DB> + Send + 'c,
    DB: Backend,
    T: Send,
{
    let mut connection = acquire(lender).await?;
    let names_tenant = DB::ROW_LEVEL_SECURITY
        && tenant != Tenant::Unscoped
        && !sqlx::Connection::is_in_transaction(&**connection);
    if atomic || names_tenant {
        let mut tx = begin::<DB>(&mut **connection, tenant).await?;
        let out = work(&mut *tx).await?;
        tx.commit().await?;
        Ok(out)
    } else {
        work(&mut **connection).await
    }
}
