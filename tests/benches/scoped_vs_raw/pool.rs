//! What the check of `tenancy_core::pool::options` costs: the same scoped
//! find on a pool built the library's way and on a plain sqlx pool, both of
//! one connection on the same database. Each side's timing ends when its
//! connection is back in its pool, so the library's side includes the
//! check that runs on release.

use criterion::Criterion;
use sqlx::{Pool, Postgres, Sqlite};
use tenancy_core::{OrgId, Scope, Scoped};

use super::{Item, POSTGRES_SCHEMA, SQLITE_SCHEMA, fill, paired, report, runtime, some_id_of_org};

/// Waits until the pool's one connection is idle again: the release (and
/// its check) ran.
async fn released<DB: sqlx::Database>(pool: &Pool<DB>) {
    // Yielding lets the release task run; a timer would add its own
    // millisecond.
    while pool.num_idle() < pool.size() as usize {
        tokio::task::yield_now().await;
    }
}

/// The find through the library on `pool`, until its connection is back.
async fn find<DB>(pool: &Pool<DB>, scope: &Scope, id: tenancy_core::Id<Item>)
where
    DB: tenancy_core::Backend,
    Item: tenancy_core::RowCodec<DB>,
    for<'c> &'c Pool<DB>: sqlx::Acquire<'c, Database = DB>,
{
    Item::find(scope, id).fetch_one(pool).await.expect("find");
    released(pool).await;
}

fn options<DB: tenancy_core::Backend>(checked: bool) -> sqlx::pool::PoolOptions<DB> {
    let options = if checked {
        tenancy_core::pool::options()
    } else {
        sqlx::pool::PoolOptions::new()
    };
    options.max_connections(1).test_before_acquire(false)
}

/// The check of released connections, on SQLite and PostgreSQL.
pub(crate) fn pool_check(c: &mut Criterion) {
    let rt = runtime();
    let scope = Scope::for_job(OrgId::new(super::ORG), "benchmark");
    let id = some_id_of_org();
    let mut group = c.benchmark_group("pool_check");

    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("pool.db");
    let [checked, plain]: [Pool<Sqlite>; 2] = rt.block_on(async {
        let connect = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&file)
            .create_if_missing(true);
        let checked = options(true)
            .connect_with(connect.clone())
            .await
            .expect("open");
        sqlx::query(SQLITE_SCHEMA)
            .execute(&checked)
            .await
            .expect("schema");
        fill(&checked).await;
        let plain = options(false).connect_with(connect).await.expect("open");
        [checked, plain]
    });
    paired(
        &mut group,
        &rt,
        "pool",
        "sqlite find, checked pool vs plain",
        || find(&checked, &scope, id),
        || find(&plain, &scope, id),
    );

    if let Some(db) = rt.block_on(tenancy_tests::postgres()) {
        let [checked, plain]: [Pool<Postgres>; 2] = rt.block_on(async {
            let connect = (*db.connect_options()).clone();
            let checked = options(true)
                .connect_with(connect.clone())
                .await
                .expect("connect");
            sqlx::query(POSTGRES_SCHEMA)
                .execute(&checked)
                .await
                .expect("schema");
            fill(&checked).await;
            sqlx::query("ANALYZE items")
                .execute(&checked)
                .await
                .expect("analyze");
            let plain = options(false).connect_with(connect).await.expect("connect");
            [checked, plain]
        });
        paired(
            &mut group,
            &rt,
            "pool",
            "postgres find, checked pool vs plain",
            || find(&checked, &scope, id),
            || find(&plain, &scope, id),
        );
    }
    group.finish();
    report("pool");
}
