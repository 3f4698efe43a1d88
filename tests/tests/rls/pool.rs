//! Many tasks acting for many organizations on one small pool: no
//! connection ever carries an organization from one checkout to the next,
//! whether its transaction committed, failed or was dropped half-way.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::PgPool;
use tenancy_core::Scoped;

use crate::models::{NewRecipe, Recipe, org_id};
use crate::setup::{count, rls, scope};

const ORGS: i64 = 8;
const TASKS: i64 = 24;
const ITERATIONS: i64 = 40;

async fn orgs_seen(conn: &mut sqlx::PgConnection) -> Vec<i64> {
    sqlx::query_scalar("SELECT DISTINCT organization_id FROM recipes")
        .fetch_all(conn)
        .await
        .unwrap()
}

/// One checkout for organization `n`, in one of five ways; every way
/// checks what it saw.
async fn checkout(pool: &PgPool, n: i64, way: i64) {
    let org = org_id(n).get();
    match way {
        // The library, outside any transaction of the caller.
        0 => {
            let rows = Recipe::select(&scope(n)).fetch_all(pool).await.unwrap();
            assert!(!rows.is_empty() && rows.iter().all(|r| r.organization_id.get() == org));
        }
        // Raw SQL in a scoped transaction that commits.
        1 => {
            let mut tx = scope(n).begin(pool).await.unwrap();
            assert_eq!(orgs_seen(&mut tx).await, [org]);
            tx.commit().await.unwrap();
        }
        // A scoped transaction that fails and is dropped.
        2 => {
            let mut tx = scope(n).begin(pool).await.unwrap();
            assert_eq!(orgs_seen(&mut tx).await, [org]);
            let failed = sqlx::query("SELECT 1 / 0").execute(&mut *tx).await;
            assert!(failed.is_err());
        }
        // A scoped transaction dropped without a word, mid-way.
        3 => {
            let mut tx = scope(n).begin(pool).await.unwrap();
            assert_eq!(orgs_seen(&mut tx).await, [org]);
            drop(tx);
        }
        // A plain checkout: whatever ran on this connection before, it
        // names no organization and sees no row.
        _ => {
            let mut conn = pool.acquire().await.unwrap();
            let setting: Option<String> =
                sqlx::query_scalar("SELECT current_setting('tenancy.org_id', true)")
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap();
            assert!(setting.unwrap_or_default().is_empty(), "a tenant leaked");
            assert_eq!(count(&mut *conn, "recipes").await, 0, "a tenant leaked");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pooled_connection_never_carries_an_organization_to_its_next_user() {
    let Some(db) = rls().await else { return };
    for n in 1..=ORGS {
        Recipe::insert(
            &scope(n),
            NewRecipe {
                name: format!("Soap {n}"),
            },
        )
        .execute(&db.app)
        .await
        .unwrap();
    }
    // The application's pool has 4 connections for 24 tasks.
    let checks = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let pool = db.app.clone();
        let checks = Arc::clone(&checks);
        tasks.push(tokio::spawn(async move {
            for i in 0..ITERATIONS {
                let n = (task * 3 + i) % ORGS + 1;
                checkout(&pool, n, (task + i) % 5).await;
                checks.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let expected = usize::try_from(TASKS * ITERATIONS).unwrap();
    assert_eq!(checks.load(Ordering::Relaxed), expected);
}
