//! Every connection the library hands back is clean, however its futures
//! are cancelled: each operation of the library is dropped after its first,
//! second, third... suspension (every await point that waited), on SQLite
//! and on PostgreSQL with row-level security, and after each drop every
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_hands_back_only_clean_connections_after_any_cancellation() {
    let report = sqlite::run(true).await;
    println!("SQLite, library pool: {report}");
    report.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_hands_back_only_clean_connections_after_any_cancellation() {
    let Some(report) = postgres::run(true).await else {
        return;
    };
    println!("PostgreSQL with row-level security, library pool: {report}");
    report.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_sqlx_pool_on_postgres_leaks_under_the_same_schedule() {
    let Some(report) = postgres::run(false).await else {
        return;
    };
    println!("PostgreSQL with row-level security, plain sqlx pool: {report}");
    assert!(
        report.dirty > 0 && report.leaked_rows > 0,
        "a plain sqlx pool handed back no dirty connection: if sqlx now rolls back a cancelled \
         BEGIN itself, this control no longer shows what the library's pool prevents ({report})"
    );
}
