//! Whom a transaction acts for: the transaction-local settings that
//! PostgreSQL's row-level security policies read, set when a transaction
//! begins and gone when it ends, so that a pooled connection never carries
//! one organization's setting to the next user.

use futures_util::future::BoxFuture;
use sqlx::{SqlSafeStr, SqlStr};

use super::{Backend, Lent, acquire};
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
pub(super) async fn begin<DB: Backend>(
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

/// How many times [`write`] runs its work at most, and the first pause
/// between two runs (doubled each time, with full jitter).
const WRITE_ATTEMPTS: u32 = 5;
const FIRST_PAUSE: std::time::Duration = std::time::Duration::from_millis(5);

/// Begins a transaction for writing, acting for `tenant`: on SQLite
/// `BEGIN IMMEDIATE`, which takes the write lock at once (waiting up to the
/// busy timeout), so that no statement inside fails because another
/// connection wrote meanwhile; on PostgreSQL the transaction of
/// [`begin_on_pool`].
async fn begin_write<DB: Backend>(
    pool: &sqlx::Pool<DB>,
    tenant: Tenant,
) -> Result<sqlx::Transaction<'static, DB>> {
    if DB::ROW_LEVEL_SECURITY {
        return begin_on_pool(pool, tenant).await;
    }
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}

/// Runs `work` in a transaction for writing (see [`begin_write`]) and
/// commits it; when the database answers [`Error::Busy`] (at the begin,
/// in `work` or at the commit), rolls back and runs it again in a new
/// transaction, at most [`WRITE_ATTEMPTS`] times, after a growing random
/// pause. A run that failed wrote nothing: its transaction rolled back.
pub(crate) async fn write<'a, DB, T, F>(
    pool: &'a sqlx::Pool<DB>,
    tenant: Tenant,
    mut work: F,
) -> Result<T>
where
    DB: Backend,
    T: Send,
    F: for<'t> FnMut(&'t mut sqlx::Transaction<'a, DB>) -> BoxFuture<'t, Result<T>> + Send + 'a,
{
    let mut attempt = 1;
    loop {
        let outcome: Result<T> = async {
            // `'a` rather than `'static`: `&'t mut Transaction<'a, _>` tells
            // the compiler that `'a` outlives `'t`, so that `work`'s future
            // may borrow what the caller borrowed for `'a` (the scope).
            let mut tx: sqlx::Transaction<'a, DB> = begin_write(pool, tenant).await?;
            let out = work(&mut tx).await?;
            tx.commit().await?;
            Ok(out)
        }
        .await;
        match outcome {
            // A pool timeout has already waited its acquire timeout: run
            // again, it would wait as long once more.
            Err(error)
                if error.is_retryable()
                    && !matches!(error, Error::Busy(sqlx::Error::PoolTimedOut))
                    && attempt < WRITE_ATTEMPTS =>
            {
                tracing::debug!(
                    target: "tenancy::write",
                    attempt,
                    "a write transaction met concurrent work; running it again"
                );
                tokio::time::sleep(pause(attempt)).await;
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

/// A random pause of at most `FIRST_PAUSE × 2^(attempt - 1)`, so that
/// writers that collided do not collide again in step.
fn pause(attempt: u32) -> std::time::Duration {
    use std::hash::{BuildHasher, Hasher};
    let longest = FIRST_PAUSE.saturating_mul(1 << attempt.saturating_sub(1).min(10));
    // A fresh `RandomState` is seeded at random: jitter without a
    // dependency.
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let nanos = u64::try_from(longest.as_nanos()).unwrap_or(u64::MAX);
    std::time::Duration::from_nanos(random % nanos.max(1))
}

/// Runs `work` on a connection lent by `lender`, acting for `tenant`.
///
/// On PostgreSQL, outside a transaction, each statement of `work` acting
/// for an organization names it itself, in one round trip where it can
/// (see the `lone` module); work across organizations runs in a
/// transaction that begins by naming the tenant (`BEGIN; SET LOCAL
/// tenancy.org_id = ..` in one message) and commits after it. Either way the
/// setting ends with its transaction, so a pooled connection never carries
/// it to its next user. Inside the caller's transaction, `work` runs as
/// is: the transaction names its tenant when it begins
/// ([`Scope::begin`](crate::Scope::begin)), and one that does not sees no
/// row of a table with row-level security. On SQLite, and for models
/// declared without row-level security, `work` just runs.
pub(crate) async fn run<'c, A, DB, T>(
    lender: A,
    tenant: Tenant,
    work: impl for<'a> FnOnce(Lent<'a, DB>) -> BoxFuture<'a, Result<T>> + Send,
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
    work: impl for<'a> FnOnce(Lent<'a, DB>) -> BoxFuture<'a, Result<T>> + Send,
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
    work: impl for<'a> FnOnce(Lent<'a, DB>) -> BoxFuture<'a, Result<T>> + Send,
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
    match tenant {
        Tenant::Org(org) if names_tenant && !atomic => {
            work(Lent::naming(&mut **connection, org)).await
        }
        _ if atomic || names_tenant => {
            let mut tx = begin::<DB>(&mut **connection, tenant).await?;
            let out = work(Lent::plain(&mut *tx)).await?;
            tx.commit().await?;
            Ok(out)
        }
        _ => work(Lent::plain(&mut **connection)).await,
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
