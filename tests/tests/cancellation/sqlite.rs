//! The schedule on SQLite: a file database, a pool of two connections, and
//! an independent connection that counts what committed.

use std::path::PathBuf;

use crate::models::sqlite_schema;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Connection, Pool, Sqlite};

#[path = "access.rs"]
mod access;
#[path = "operations.rs"]
mod operations;
#[path = "sweep.rs"]
mod sweep;

pub(crate) use sweep::Report;
use sweep::{Probe, sweep};

pub(crate) type Db = Sqlite;

/// The database, and the rows `R` the operations work on.
pub(crate) struct Fixture<R> {
    pub(crate) pool: Pool<Sqlite>,
    /// The pool of work across organizations: the same one, on SQLite.
    pub(crate) system_pool: Pool<Sqlite>,
    pub(crate) rows: R,
    file: PathBuf,
    _dir: tempfile::TempDir,
}

/// A database in a temporary file with `schema` and the table of
/// markers, and a pool on it built the library's way or plain.
async fn database(schema: &str, library_pool: bool) -> (Pool<Sqlite>, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cancel.db");
    let options = SqliteConnectOptions::new()
        .filename(&file)
        .create_if_missing(true)
        .foreign_keys(true);
    let base = if library_pool {
        tenancy_core::pool::options()
    } else {
        SqlitePoolOptions::new()
    };
    let pool = base.max_connections(2).connect_with(options).await.unwrap();
    let schema = format!("{schema}\nCREATE TABLE cancellation_writes (n INTEGER NOT NULL);");
    sqlx::raw_sql(sqlx::AssertSqlSafe(schema))
        .execute(&pool)
        .await
        .unwrap();
    (pool, file, dir)
}

/// Runs the schedule of the scoping kernel's operations on a pool built
/// the library's way, or a plain one.
pub(crate) async fn run(library_pool: bool) -> Report {
    let (pool, file, dir) = database(&sqlite_schema(), library_pool).await;
    let rows = operations::seed(&pool).await;
    let fx = Fixture {
        system_pool: pool.clone(),
        pool,
        rows,
        file,
        _dir: dir,
    };
    sweep(&fx, operations::all()).await
}

/// The same for the access rules' operations, on a database of the
/// library's access tables.
pub(crate) async fn run_access(library_pool: bool) -> Report {
    let (pool, file, dir) = database("", library_pool).await;
    let rows = access::seed(&pool).await;
    let fx = Fixture {
        system_pool: pool.clone(),
        pool,
        rows,
        file,
        _dir: dir,
    };
    sweep(&fx, access::all()).await
}

/// SQLite has no row-level security and no settings: what it can leave on
/// a connection is a transaction, which a `BEGIN` inside it reveals.
async fn probe<R>(_: &Fixture<R>, connection: &mut PoolConnection<Sqlite>) -> Probe {
    let in_transaction = sqlx::raw_sql("BEGIN DEFERRED; ROLLBACK")
        .execute(&mut **connection)
        .await
        .is_err();
    Probe {
        in_transaction,
        ..Probe::default()
    }
}

async fn write_marker(connection: &mut PoolConnection<Sqlite>, n: u64) {
    let n = i64::try_from(n).unwrap();
    // Outside a transaction this commits at once; inside a leaked one it
    // waits for a commit that never comes.
    let _ = sqlx::query("INSERT INTO cancellation_writes (n) VALUES (?)")
        .bind(n)
        .execute(&mut **connection)
        .await;
}

/// Counted on a connection of its own, which sees committed rows only.
async fn committed_writes<R>(fx: &Fixture<R>) -> u64 {
    let options = SqliteConnectOptions::new().filename(&fx.file);
    let mut own = sqlx::SqliteConnection::connect_with(&options)
        .await
        .unwrap();
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM cancellation_writes")
        .fetch_one(&mut own)
        .await
        .unwrap();
    u64::try_from(count).unwrap()
}
