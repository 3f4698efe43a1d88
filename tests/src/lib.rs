//! Test harness shared by the cross-crate suites: fresh SQLite databases,
//! and a throwaway PostgreSQL cluster that the tests start themselves.
//!
//! Each test gets a database of its own, so tests run in parallel without
//! seeing each other's rows. The PostgreSQL cluster is started once per test
//! process (a temporary directory, a free port, run as the `postgres` OS
//! user when the tests run as root) and removed when the process exits.
//!
//! Outside CI, a machine without PostgreSQL skips the PostgreSQL tests with
//! a loud message; with `CI=true` it fails them instead, so that CI never
//! passes without having run them.

pub mod pg;

use std::ops::Deref;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Pool, Postgres, Sqlite};

/// A database of one test, dropped with it.
#[derive(Debug)]
pub struct TestDb<DB: sqlx::Database> {
    pool: Pool<DB>,
    /// The superuser's pool, when `pool` connects as a role that
    /// row-level security applies to.
    admin: Option<Pool<DB>>,
    /// The pool of a login of the system role, when `pool` connects as a
    /// role that row-level security applies to.
    system: Option<Pool<DB>>,
    // Declared after the pool, so it is removed after the pool is dropped.
    _dir: Option<tempfile::TempDir>,
}

impl<DB: sqlx::Database> Deref for TestDb<DB> {
    type Target = Pool<DB>;

    fn deref(&self) -> &Pool<DB> {
        &self.pool
    }
}

impl<DB: sqlx::Database> TestDb<DB> {
    /// The pool, for code that takes it by value.
    #[must_use]
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    /// A pool that sees every row whatever the row-level security: for
    /// raw set-up and checks around the library.
    #[must_use]
    pub fn admin(&self) -> &Pool<DB> {
        self.admin.as_ref().unwrap_or(&self.pool)
    }

    /// The pool of work across organizations (`SystemScope`): with
    /// row-level security, a login of the system role; otherwise
    /// [`pool`](Self::pool).
    #[must_use]
    pub fn system(&self) -> &Pool<DB> {
        self.system.as_ref().unwrap_or(&self.pool)
    }
}

/// A new SQLite database in a temporary file, with foreign keys on, in
/// write-ahead-log mode with the library's busy timeout (as
/// `tenancy_core::pool::sqlite_options` sets them).
///
/// # Panics
///
/// When the temporary directory or the database cannot be created: the
/// test cannot run.
pub async fn sqlite() -> TestDb<Sqlite> {
    let dir = tempfile::tempdir().expect("create a temporary directory for SQLite");
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join("test.db"))
        .create_if_missing(true)
        .foreign_keys(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .busy_timeout(tenancy_core::pool::SQLITE_BUSY_TIMEOUT);
    let pool = tenancy_core::pool::options()
        .max_connections(4)
        .connect_with(options)
        .await
        .expect("open a SQLite database");
    TestDb {
        pool,
        admin: None,
        system: None,
        _dir: Some(dir),
    }
}

/// [`sqlite`] with `schema` created.
///
/// # Panics
///
/// When the database or the schema cannot be created.
pub async fn sqlite_with(schema: &str) -> TestDb<Sqlite> {
    let db = sqlite().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(schema.to_owned()))
        .execute(db.pool())
        .await
        .unwrap_or_else(|e| panic!("create the SQLite schema: {e}"));
    db
}

/// [`postgres`] with `schema` created; `None` when PostgreSQL is not
/// available outside CI.
///
/// # Panics
///
/// When the database or the schema cannot be created.
pub async fn postgres_with(schema: &str) -> Option<TestDb<Postgres>> {
    let db = postgres().await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(schema.to_owned()))
        .execute(db.pool())
        .await
        .unwrap_or_else(|e| panic!("create the PostgreSQL schema: {e}"));
    Some(db)
}

/// A new database on the test cluster, or `None` when PostgreSQL is not
/// available outside CI (after a loud message).
///
/// # Panics
///
/// In CI (`CI=true`) when PostgreSQL is not available, and anywhere when
/// the cluster is up but the database cannot be created.
pub async fn postgres() -> Option<TestDb<Postgres>> {
    let cluster = pg::cluster()?;
    let pool = cluster
        .fresh_database()
        .await
        .unwrap_or_else(|e| panic!("create a database on the test cluster: {e}"));
    Some(TestDb {
        pool,
        admin: None,
        system: None,
        _dir: None,
    })
}

/// A new database on the test cluster with `schema` created and the
/// `policies` (from `tenancy_core::ddl::row_level_security`) applied by the
/// superuser, whose [`pool`](TestDb::pool) connects as an application role
/// that row-level security applies to (see [`pg::Cluster::app_pool`]) and
/// whose [`admin`](TestDb::admin) pool is the superuser's and whose
/// [`system`](TestDb::system) pool a login of the system role's; `None` when
/// PostgreSQL is not available outside CI.
///
/// # Panics
///
/// When the schema, the policies or the role cannot be created.
pub async fn postgres_with_rls(schema: &str, policies: &[String]) -> Option<TestDb<Postgres>> {
    let cluster = pg::cluster()?;
    let admin = cluster
        .fresh_database()
        .await
        .unwrap_or_else(|e| panic!("create a database on the test cluster: {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(schema.to_owned()))
        .execute(&admin)
        .await
        .unwrap_or_else(|e| panic!("create the schema: {e}"));
    for policy in policies {
        sqlx::raw_sql(sqlx::AssertSqlSafe(policy.clone()))
            .execute(&admin)
            .await
            .unwrap_or_else(|e| panic!("apply `{policy}`: {e}"));
    }
    let pool = cluster
        .app_pool(&admin)
        .await
        .unwrap_or_else(|e| panic!("create the application role: {e}"));
    let system_options = cluster
        .system_role(&admin)
        .await
        .unwrap_or_else(|e| panic!("create the system login: {e}"));
    let system = tenancy_core::pool::options()
        .max_connections(2)
        .connect_with(system_options)
        .await
        .unwrap_or_else(|e| panic!("connect as the system login: {e}"));
    Some(TestDb {
        pool,
        admin: Some(admin),
        system: Some(system),
        _dir: None,
    })
}

/// The README's examples compile, so they cannot rot.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
