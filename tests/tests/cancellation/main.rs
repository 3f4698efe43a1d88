//! Every connection the library hands back is clean, however its futures
//! are cancelled: each operation of the library (the scoping kernel's and
//! the access rules') is dropped after its first, second, third...
//! suspension (every await point that waited), on SQLite and on
//! PostgreSQL with row-level security, and after each drop every
//! connection of the pool is checked: no open transaction, no `tenancy.*`
//! setting, no row of any organization visible without one named, and a
//! write on it is committed.
//!
//! A control runs the same schedule on a plain sqlx pool, which leaks: the
//! check is not vacuous, and the pool of `tenancy_core::pool::options` is
//! what makes the difference.

// Helpers of tests may panic: a panic is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// `operations.rs` and `sweep.rs` are compiled once per backend, on purpose.
#![allow(clippy::duplicate_mod)]

#[path = "../kinds/models.rs"]
#[allow(dead_code)]
mod models;
mod postgres;
mod sqlite;

use std::io::Write;

/// Writes a result line to the standard error itself, past the test
/// harness's capture, so that the figures stand in the output of every
/// run, passing or not.
fn record(line: &str) {
    let _ = writeln!(std::io::stderr(), "cancellation: {line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_hands_back_only_clean_connections_after_any_cancellation() {
    let report = sqlite::run(true).await;
    record(&format!("SQLite, library pool: {report}"));
    report.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_hands_back_only_clean_connections_after_any_cancellation() {
    let Some(report) = postgres::run(true).await else {
        return;
    };
    record(&format!(
        "PostgreSQL with row-level security, library pool: {report}"
    ));
    report.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_access_rules_hand_back_only_clean_connections() {
    let report = sqlite::run_access(true).await;
    record(&format!("SQLite, access rules, library pool: {report}"));
    report.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_access_rules_hand_back_only_clean_connections() {
    let Some(report) = postgres::run_access(true).await else {
        return;
    };
    record(&format!("PostgreSQL, access rules, library pool: {report}"));
    report.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_sqlx_pool_on_postgres_leaks_under_the_same_schedule() {
    let Some(report) = postgres::run(false).await else {
        return;
    };
    record(&format!(
        "PostgreSQL with row-level security, plain sqlx pool: {report}"
    ));
    assert!(
        report.dirty > 0 && report.leaked_rows > 0,
        "a plain sqlx pool handed back no dirty connection: if sqlx now rolls back a cancelled \
         BEGIN itself, this control no longer shows what the library's pool prevents ({report})"
    );
}

#[tokio::test]
async fn sqlite_keeps_a_clean_connection() {
    // A temporary table lives as long as its connection.
    let pool: sqlx::SqlitePool = tenancy_core::pool::options()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
        .unwrap();
    sqlx::query("CREATE TEMP TABLE mark (n INTEGER)")
        .execute(&pool)
        .await
        .unwrap();
    for _ in 0..3 {
        let tx = pool.begin().await.unwrap();
        tx.commit().await.unwrap();
        sqlx::query("SELECT count(*) FROM mark")
            .execute(&pool)
            .await
            .unwrap();
    }
    // A transaction left open by raw SQL is not handed on.
    sqlx::raw_sql("BEGIN").execute(&pool).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let kept = sqlx::query("SELECT count(*) FROM mark")
        .execute(&mut *conn)
        .await;
    assert!(
        kept.is_err(),
        "the connection left inside a transaction was handed on"
    );
}

#[tokio::test]
async fn postgres_keeps_a_clean_connection() {
    let Some(db) = tenancy_tests::postgres().await else {
        return;
    };
    let pool: sqlx::PgPool = tenancy_core::pool::options()
        .max_connections(1)
        .connect_with(db.connect_options().as_ref().clone())
        .await
        .unwrap();
    let pid = |pool: sqlx::PgPool| async move {
        sqlx::query_scalar::<_, i32>("SELECT pg_backend_pid()")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let first = pid(pool.clone()).await;
    let scope = tenancy_core::Scope::for_job(models::org_id(1), "cancellation suite");
    for _ in 0..3 {
        let tx = scope.begin(&pool).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            pid(pool.clone()).await,
            first,
            "a clean connection was closed"
        );
    }
    // A session-level tenant, or a transaction left open, is not handed on.
    for leftover in ["SET tenancy.org_id = '101'", "BEGIN"] {
        let before = pid(pool.clone()).await;
        sqlx::raw_sql(leftover).execute(&pool).await.unwrap();
        assert_ne!(
            pid(pool.clone()).await,
            before,
            "`{leftover}` was handed on"
        );
    }
}
