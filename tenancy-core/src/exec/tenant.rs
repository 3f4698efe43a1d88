//! Whom a transaction acts for: the transaction-local settings that
//! PostgreSQL's row-level security policies read, set when a transaction
//! begins and gone when it ends, so that a pooled connection never carries
//! one organization's setting to the next user.

use futures_util::future::BoxFuture;
use sqlx::{SqlSafeStr, SqlStr};

use super::{Backend, acquire};
use crate::ddl;
use crate::error::{Error, Result};
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
    ///
    /// The organization is named in every such transaction, empty for
    /// work across organizations, so that a value a session left behind
    /// never counts.
    pub(crate) fn begin_statement(self) -> Option<SqlStr> {
        let value = match self {
            // An `i64` printed in decimal: digits and a sign, nothing to
            // escape.
            Self::Org(org) => org.get().to_string(),
            Self::System => String::new(),
            Self::Unscoped => return None,
        };
        let sql = format!("BEGIN; SET LOCAL {} = '{value}'", ddl::ORG_SETTING);
        Some(sqlx::AssertSqlSafe(sql).into_sql_str())
    }
}

/// Refuses a transaction of work across organizations on a connection
/// whose role the bypass policies do not apply to: its statements would
/// see no tenant row, and the caller would read an empty answer as "none".
async fn check_system<DB: Backend>(connection: &mut DB::Connection) -> Result<()> {
    if DB::__acts_across_orgs(connection).await? {
        return Ok(());
    }
    tracing::error!(
        target: "tenancy::system",
        "a SystemScope ran on a connection whose role is not a member of the system role of \
         the row-level security policies; run it on the pool of that role's login"
    );
    Err(Error::Database(sqlx::Error::Configuration(
        "tenancy: work across organizations needs a connection of the system role \
         (see tenancy_core::ddl::row_level_security)"
            .into(),
    )))
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
            let mut tx = sqlx::Connection::begin_with(connection, statement).await?;
            if tenant == Tenant::System {
                check_system::<DB>(&mut tx).await?;
            }
            tx
        }
        // A savepoint: the transaction around it was checked when it began.
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
            Some(statement) => {
                let mut tx = pool.begin_with(statement).await?;
                if tenant == Tenant::System {
                    check_system::<DB>(&mut tx).await?;
                }
                tx
            }
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
    let in_transaction = sqlx::Connection::is_in_transaction(&**connection);
    if tenant == Tenant::System && in_transaction {
        // The caller's transaction (a `Scope::begin` on the app's pool,
        // say) may be of a role the bypass does not apply to, where the
        // work would read an empty answer as "none".
        check_system::<DB>(&mut **connection).await?;
    }
    let names_tenant = DB::ROW_LEVEL_SECURITY && tenant != Tenant::Unscoped && !in_transaction;
    if atomic || names_tenant {
        let mut tx = begin::<DB>(&mut **connection, tenant).await?;
        let out = work(&mut *tx).await?;
        tx.commit().await?;
        Ok(out)
    } else {
        work(&mut **connection).await
    }
}

/// SQLite has no roles: every connection may.
#[cfg(feature = "sqlite")]
pub(crate) fn sqlite_acts_across_orgs(
    _: &mut sqlx::SqliteConnection,
) -> BoxFuture<'_, Result<bool, sqlx::Error>> {
    Box::pin(async { Ok(true) })
}

/// A member of a role that some `tenancy_system` policy is `TO`, or any
/// role in a database without such policies (no row-level security to
/// get past).
#[cfg(feature = "postgres")]
pub(crate) fn postgres_acts_across_orgs(
    connection: &mut sqlx::PgConnection,
) -> BoxFuture<'_, Result<bool, sqlx::Error>> {
    Box::pin(async move {
        sqlx::query_scalar(
            "SELECT NOT EXISTS (SELECT FROM pg_catalog.pg_policy WHERE polname = 'tenancy_system') \
             OR EXISTS (SELECT FROM pg_catalog.pg_policy p, unnest(p.polroles) AS r (oid) \
                        WHERE p.polname = 'tenancy_system' AND r.oid <> 0 \
                          AND pg_catalog.pg_has_role(current_user, r.oid, 'USAGE'))",
        )
        .fetch_one(connection)
        .await
    })
}
