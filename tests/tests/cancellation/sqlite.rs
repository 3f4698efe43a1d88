//! The schedule on SQLite: a file database, a pool of two connections, and
//! an independent connection that counts what committed.

use std::path::PathBuf;

use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Connection, Pool, Sqlite};
use tenancy_core::{Id, Scope, SystemScope};

use crate::models::{Ingredient, Recipe, sqlite_schema};

#[path = "operations.rs"]
mod operations;
#[path = "sweep.rs"]
mod sweep;

pub(crate) use sweep::Report;
use sweep::{Probe, sweep};

pub(crate) type Db = Sqlite;

/// The database and rows every operation works on.
pub(crate) struct Fixture {
    pub(crate) pool: Pool<Sqlite>,
    /// The pool of work across organizations: the same one, on SQLite.
    pub(crate) system_pool: Pool<Sqlite>,
    pub(crate) scope: Scope,
    pub(crate) system: SystemScope,
    pub(crate) recipe: Id<Recipe>,
    pub(crate) ingredient: Id<Ingredient>,
    file: PathBuf,
    _dir: tempfile::TempDir,
}

/// Runs the schedule on a pool built the library's way, or a plain one.
pub(crate) async fn run(library_pool: bool) -> Report {
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
    let schema = format!(
        "{}\nCREATE TABLE cancellation_writes (n INTEGER NOT NULL);",
        sqlite_schema()
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(schema))
        .execute(&pool)
        .await
        .unwrap();
    let (scope, system, recipe, ingredient) = operations::seed(&pool).await;
    let fx = Fixture {
        system_pool: pool.clone(),
        pool,
        scope,
        system,
        recipe,
        ingredient,
        file,
        _dir: dir,
    };
    sweep(&fx).await
}

/// SQLite has no row-level security and no settings: what it can leave on
/// a connection is a transaction, which a `BEGIN` inside it reveals.
async fn probe(_: &Fixture, connection: &mut PoolConnection<Sqlite>) -> Probe {
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
async fn committed_writes(fx: &Fixture) -> u64 {
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
