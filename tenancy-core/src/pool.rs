//! Pools that only ever hand out clean connections.
//!
//! A pooled connection outlives every request that borrows it, so whatever
//! a borrower leaves on it reaches the next one. Two things must never be
//! left: an open transaction (the next borrower's statements would run
//! inside somebody else's transaction, see its rows, hold its locks, and
//! lose their writes when it rolls back) and a `tenancy.org_id` setting with a
//! value outside a transaction (raw SQL of the next borrower would act for
//! that organization). Both happen without any mistake of the app: a future
//! dropped while `BEGIN` is on the wire (a client that disconnects, a
//! `tokio::time::timeout`, a `select!`) leaves sqlx 0.9.0 unaware that the
//! server began a transaction, and the pool hands that connection on.
//!
//! [`options`] is sqlx's [`PoolOptions`](sqlx::pool::PoolOptions) with a
//! check that runs whenever a connection goes back to the pool
//! ([`is_clean`]): a connection that is not clean is closed instead of
//! being kept (closing ends its transaction on the server), and the pool
//! opens a new one when it needs it. Build every pool the library runs on
//! this way:
//!
//! ```no_run
//! # #[cfg(feature = "sqlite")]
//! # async fn demo() -> Result<(), sqlx::Error> {
//! let pool: sqlx::SqlitePool = tenancy_core::pool::options()
//!     .max_connections(8)
//!     .connect("sqlite://app.db")
//!     .await?;
//! # Ok(())
//! # }
//! ```
//!
//! The check costs one statement per release, run by the pool after the
//! borrower is done (on PostgreSQL a one-row `SELECT` on the same
//! connection, on SQLite a `BEGIN; ROLLBACK` that takes no lock). Do not
//! replace the pool's `after_release` hook afterwards; to add your own
//! check, call [`is_clean`] from it.

use futures_util::future::BoxFuture;

use crate::exec::Backend;

/// How long a SQLite connection of [`sqlite_options`] waits for another
/// connection's write lock before a statement fails with `SQLITE_BUSY`
/// ([`Error::Busy`](crate::Error::Busy)).
#[cfg(feature = "sqlite")]
pub const SQLITE_BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Connection options for a SQLite database that several connections
/// write to: the file of `url` (`sqlite://app.db`, created when missing),
/// write-ahead logging (readers never wait for the writer), foreign keys
/// on, and a busy timeout of [`SQLITE_BUSY_TIMEOUT`], so that a writer
/// waits for the lock rather than fail at once.
///
/// ```no_run
/// # #[cfg(feature = "sqlite")]
/// # async fn demo() -> tenancy_core::Result<()> {
/// let pool: sqlx::SqlitePool = tenancy_core::pool::options()
///     .connect_with(tenancy_core::pool::sqlite_options("sqlite://app.db")?)
///     .await?;
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// [`Error::Database`](crate::Error::Database) when `url` is not a SQLite
/// address.
#[cfg(feature = "sqlite")]
pub fn sqlite_options(url: &str) -> crate::Result<sqlx::sqlite::SqliteConnectOptions> {
    use std::str::FromStr;
    Ok(sqlx::sqlite::SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .foreign_keys(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .busy_timeout(SQLITE_BUSY_TIMEOUT))
}

/// sqlx's pool options with the check of [`is_clean`] on every release.
#[must_use]
pub fn options<DB: Backend>() -> sqlx::pool::PoolOptions<DB> {
    sqlx::pool::PoolOptions::new().after_release(|connection, _| {
        Box::pin(async move {
            let clean = is_clean::<DB>(connection).await?;
            if !clean {
                tracing::warn!(
                    target: "tenancy::pool",
                    "a connection went back to the pool inside a transaction or with a \
                     `tenancy.org_id` setting; it is closed rather than handed to the next borrower"
                );
            }
            Ok(clean)
        })
    })
}

/// Whether `connection` may be handed to another borrower: it is not
/// inside a transaction, and on PostgreSQL no `tenancy.org_id` setting has a
/// value.
///
/// It sends one statement and waits for whatever the connection still
/// owed its last borrower (the reply of a `BEGIN` whose future was
/// dropped), so what it sees is the state the next borrower would get.
///
/// # Errors
///
/// The driver's error when the connection fails; a connection in a failed
/// transaction (PostgreSQL `25P02`) fails too. Either way the pool closes
/// it.
pub fn is_clean<DB: Backend>(
    connection: &mut DB::Connection,
) -> BoxFuture<'_, Result<bool, sqlx::Error>> {
    DB::__is_clean(connection)
}

/// On PostgreSQL: outside a transaction, a statement sent as a simple query
/// is a transaction of its own that starts with the message, so its
/// transaction and statement timestamps are equal; inside an open one, the
/// statement starts later. (The extended protocol sets the statement
/// timestamp again at `Execute`, after the transaction began at `Parse` or
/// `Bind`: hence `raw_sql`.) The check is sent after the replies the
/// connection still owed, so at least one round trip separates it from any
/// `BEGIN` before it.
#[cfg(feature = "postgres")]
pub(crate) const POSTGRES_CHECK: &str = "SELECT transaction_timestamp() = statement_timestamp() \
     AND coalesce(current_setting('tenancy.org_id', true), '') = ''";

#[cfg(feature = "postgres")]
pub(crate) fn postgres_is_clean(
    connection: &mut sqlx::PgConnection,
) -> BoxFuture<'_, Result<bool, sqlx::Error>> {
    Box::pin(async move {
        let row = sqlx::raw_sql(POSTGRES_CHECK).fetch_one(connection).await?;
        sqlx::Row::try_get::<bool, _>(&row, 0)
    })
}

/// On SQLite, which has no SQL to ask: a `BEGIN` inside a transaction
/// fails, and outside one, deferred, it takes no lock before its
/// `ROLLBACK`.
#[cfg(feature = "sqlite")]
pub(crate) fn sqlite_is_clean(
    connection: &mut sqlx::SqliteConnection,
) -> BoxFuture<'_, Result<bool, sqlx::Error>> {
    Box::pin(async move {
        match sqlx::raw_sql("BEGIN DEFERRED; ROLLBACK")
            .execute(connection)
            .await
        {
            Ok(_) => Ok(true),
            // "cannot start a transaction within a transaction"
            Err(sqlx::Error::Database(_)) => Ok(false),
            Err(other) => Err(other),
        }
    })
}

#[cfg(test)]
mod tests {
    #[cfg(feature = "postgres")]
    #[test]
    fn the_postgres_check_reads_the_setting_of_the_library() {
        let setting = crate::ddl::ORG_SETTING;
        assert!(super::POSTGRES_CHECK.contains(&format!("'{setting}'")));
    }
}
