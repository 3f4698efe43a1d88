//! Scoped operations against the same SQL written by hand with sqlx, on the
//! same pool, on SQLite and PostgreSQL.
//!
//! The table holds 100 organizations with 50 rows each; every operation
//! acts for one of them. List, find, insert and update use statements the
//! library renders once per model (updates once per set of columns, the
//! filtered list once per shape of filter). `writes.rs` adds the write
//! path: a guarded decrement, a grouped sum and a 100-row `insert_many`.
//! Both sides share one pool of one connection (without a ping before each
//! checkout), on a single-threaded runtime, so that what differs between
//! them is the code under test. The hand-written side decodes rows into
//! tuples by index, the cheapest decoding sqlx offers, so it is a strict
//! baseline.
//!
//! On PostgreSQL the library runs each lone operation through a call that
//! names the organization for row-level security (one round trip, as the
//! hand-written statement in autocommit), here on a table without
//! policies. A third group turns row-level security on and declares a
//! model without it (see [`rls::postgres_rls`]); a fourth measures the
//! check of released connections of `tenancy_core::pool::options` (see
//! [`pool::pool_check`]).
//!
//! Run with `cargo bench -p tenancy-tests --bench scoped_vs_raw`; after
//! each backend it prints a Markdown table of medians and paired ratios.

use std::collections::BTreeMap;
use std::future::Future;
use std::hint::black_box;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Pool, Postgres, Sqlite};
use tenancy_core::{Id, OrgId, Scope, Scoped};
use tokio::runtime::Runtime;

#[path = "scoped_vs_raw/pool.rs"]
mod pool;
#[path = "scoped_vs_raw/rls.rs"]
mod rls;
#[path = "scoped_vs_raw/writes.rs"]
mod writes;

#[derive(Debug, Scoped)]
#[tenancy(table = "items")]
#[allow(dead_code)] // decoded, never read: decoding is what is measured
struct Item {
    id: Id<Item>,
    organization_id: OrgId,
    name: String,
    qty: i64,
}

const ORGS: i64 = 100;
const ROWS_PER_ORG: i64 = 50;
const ORG: i64 = 42;

const SQLITE_SCHEMA: &str = "CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    qty INTEGER NOT NULL,
    UNIQUE (organization_id, id)
)";

const POSTGRES_SCHEMA: &str = "CREATE TABLE items (
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    organization_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    qty BIGINT NOT NULL,
    PRIMARY KEY (organization_id, id)
)";

/// The hand-written statements: what a careful developer writes for the
/// same operations, with the organization filter they must not forget.
mod raw {
    pub(crate) const LIST_PG: &str =
        "SELECT id, organization_id, name, qty FROM items WHERE organization_id = $1 ORDER BY id";
    pub(crate) const LIST_SQLITE: &str =
        "SELECT id, organization_id, name, qty FROM items WHERE organization_id = ? ORDER BY id";
    pub(crate) const FIND_PG: &str =
        "SELECT id, organization_id, name, qty FROM items WHERE organization_id = $1 AND id = $2";
    pub(crate) const FIND_SQLITE: &str =
        "SELECT id, organization_id, name, qty FROM items WHERE organization_id = ? AND id = ?";
    pub(crate) const FILTERED_PG: &str = "SELECT id, organization_id, name, qty FROM items WHERE organization_id = $1 AND qty >= $2 ORDER BY id";
    pub(crate) const FILTERED_SQLITE: &str = "SELECT id, organization_id, name, qty FROM items WHERE organization_id = ? AND qty >= ? ORDER BY id";
    pub(crate) const UPDATE_PG: &str = "UPDATE items SET qty = $1 WHERE organization_id = $2 AND id = $3 RETURNING id, organization_id, name, qty";
    pub(crate) const UPDATE_SQLITE: &str = "UPDATE items SET qty = ? WHERE organization_id = ? AND id = ? RETURNING id, organization_id, name, qty";
    pub(crate) const INSERT_PG: &str = "INSERT INTO items (organization_id, name, qty) VALUES ($1, $2, $3) RETURNING id, organization_id, name, qty";
    pub(crate) const INSERT_SQLITE: &str = "INSERT INTO items (organization_id, name, qty) VALUES (?, ?, ?) RETURNING id, organization_id, name, qty";
}

type RawRow = (i64, i64, String, i64);

fn to_item((id, organization_id, name, qty): RawRow) -> Item {
    Item {
        id: Id::new(id),
        organization_id: OrgId::new(organization_id),
        name,
        qty,
    }
}

async fn fill<DB>(pool: &Pool<DB>)
where
    DB: tenancy_core::Backend,
    Item: tenancy_core::RowCodec<DB>,
{
    for org in 1..=ORGS {
        let scope = Scope::for_job(OrgId::new(org), "benchmark fill");
        for n in 0..ROWS_PER_ORG {
            let new = NewItem {
                name: format!("item {n}"),
                qty: n,
            };
            Item::insert(&scope, new).execute(pool).await.expect("fill");
        }
    }
}

/// One row id of the benchmark's organization, for finds.
fn some_id_of_org() -> Id<Item> {
    // Rows were inserted organization by organization; ids start at 1.
    Id::new((ORG - 1) * ROWS_PER_ORG + 7)
}

static NEXT_NAME: AtomicU64 = AtomicU64::new(0);

fn next_name() -> String {
    format!("new {}", NEXT_NAME.fetch_add(1, Ordering::Relaxed))
}

/// Every (library, by hand) pair of timings, per benchmark, in nanoseconds.
static PAIRS: Mutex<BTreeMap<String, Vec<(f64, f64)>>> = Mutex::new(BTreeMap::new());

/// Which side a benchmark times.
#[derive(Clone, Copy)]
enum Side {
    Library,
    ByHand,
}

/// Times `library` and `by_hand` back to back, `iters` times, alternating
/// which goes first, and returns the total of the side that `timed` names.
/// Both sides thus run under the same load, cache state and table size,
/// and every pair of timings is recorded for the paired ratio that
/// [`report`] prints: on a shared, noisy machine, that ratio is the figure
/// to trust, more than two medians taken minutes apart.
async fn timed_pairs<A, FA, B, FB>(
    key: &str,
    timed: Side,
    library: &A,
    by_hand: &B,
    iters: u64,
) -> Duration
where
    A: Fn() -> FA,
    FA: Future,
    B: Fn() -> FB,
    FB: Future,
{
    async fn time<F: Future>(future: F) -> Duration {
        let start = Instant::now();
        black_box(future.await);
        start.elapsed()
    }
    let mut pairs = Vec::with_capacity(usize::try_from(iters).unwrap_or(0));
    let mut total = Duration::ZERO;
    for i in 0..iters {
        let (lib, raw) = if i % 2 == 0 {
            let lib = time(library()).await;
            (lib, time(by_hand()).await)
        } else {
            let raw = time(by_hand()).await;
            (time(library()).await, raw)
        };
        total += match timed {
            Side::Library => lib,
            Side::ByHand => raw,
        };
        pairs.push((lib.as_nanos() as f64, raw.as_nanos() as f64));
    }
    if let Ok(mut all) = PAIRS.lock() {
        all.entry(key.to_owned()).or_default().extend(pairs);
    }
    total
}

/// Benchmarks `op` through the library and by hand: criterion's figures for
/// each side, and the pairs for the paired ratio.
fn paired<A, FA, B, FB>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    rt: &Runtime,
    backend: &str,
    op: &str,
    library: A,
    by_hand: B,
) where
    A: Fn() -> FA,
    FA: Future,
    B: Fn() -> FB,
    FB: Future,
{
    let key = format!("{backend} {op}");
    for (name, side) in [("tenancy", Side::Library), ("raw", Side::ByHand)] {
        group.bench_function(format!("{op}/{name}"), |b| {
            b.to_async(rt)
                .iter_custom(|iters| timed_pairs(&key, side, &library, &by_hand, iters))
        });
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Prints, for each operation of `backend`, the median time of each side
/// and the median of the per-pair ratios (library / by hand).
fn report(backend: &str) {
    let Ok(all) = PAIRS.lock() else { return };
    println!(
        "\n| backend | operation | pairs | tenancy (median) | by hand (median) | paired ratio (median) |"
    );
    println!("|---|---|---|---|---|---|");
    for (key, pairs) in all.iter().filter(|(key, _)| key.starts_with(backend)) {
        let lib = median(pairs.iter().map(|p| p.0).collect()) / 1000.0;
        let raw = median(pairs.iter().map(|p| p.1).collect()) / 1000.0;
        let ratio = median(pairs.iter().map(|p| p.0 / p.1).collect());
        let op = key.trim_start_matches(backend).trim();
        println!(
            "| {backend} | {op} | {} | {lib:.1} µs | {raw:.1} µs | {ratio:.3} |",
            pairs.len()
        );
    }
}

macro_rules! bench_backend {
    ($group:expr, $rt:expr, $backend:expr, $pool:expr, $list:expr, $filtered:expr, $find:expr, $update:expr, $insert:expr) => {{
        let pool = $pool;
        let scope = Scope::for_job(OrgId::new(ORG), "benchmark");
        let id = some_id_of_org();

        paired(
            $group,
            $rt,
            $backend,
            "list",
            || async {
                let rows = Item::select(&scope).fetch_all(pool).await.expect("list");
                assert_eq!(rows.len(), ROWS_PER_ORG as usize);
            },
            || async {
                let rows: Vec<Item> = sqlx::query_as::<_, RawRow>($list)
                    .bind(ORG)
                    .fetch_all(pool)
                    .await
                    .expect("list")
                    .into_iter()
                    .map(to_item)
                    .collect();
                assert_eq!(rows.len(), ROWS_PER_ORG as usize);
            },
        );
        paired(
            $group,
            $rt,
            $backend,
            "list_filtered",
            || async {
                let rows = Item::select(&scope)
                    .filter(Item::QTY.gte(25))
                    .fetch_all(pool)
                    .await
                    .expect("list");
                assert_eq!(rows.len(), 25);
            },
            || async {
                let rows: Vec<Item> = sqlx::query_as::<_, RawRow>($filtered)
                    .bind(ORG)
                    .bind(25_i64)
                    .fetch_all(pool)
                    .await
                    .expect("list")
                    .into_iter()
                    .map(to_item)
                    .collect();
                assert_eq!(rows.len(), 25);
            },
        );
        paired(
            $group,
            $rt,
            $backend,
            "update",
            || async {
                Item::update(&scope, id)
                    .set(Item::QTY, 7)
                    .execute(pool)
                    .await
                    .expect("update")
            },
            || async {
                let row: RawRow = sqlx::query_as($update)
                    .bind(7_i64)
                    .bind(ORG)
                    .bind(id)
                    .fetch_one(pool)
                    .await
                    .expect("update");
                to_item(row)
            },
        );
        paired(
            $group,
            $rt,
            $backend,
            "find",
            || async { Item::find(&scope, id).fetch_one(pool).await.expect("find") },
            || async {
                let row: Option<RawRow> = sqlx::query_as($find)
                    .bind(ORG)
                    .bind(id)
                    .fetch_optional(pool)
                    .await
                    .expect("find");
                row.map(to_item).expect("found")
            },
        );
        paired(
            $group,
            $rt,
            $backend,
            "insert",
            || async {
                let new = NewItem {
                    name: next_name(),
                    qty: 1,
                };
                Item::insert(&scope, new)
                    .execute(pool)
                    .await
                    .expect("insert")
            },
            || async {
                let row: RawRow = sqlx::query_as($insert)
                    .bind(ORG)
                    .bind(next_name())
                    .bind(1_i64)
                    .fetch_one(pool)
                    .await
                    .expect("insert");
                to_item(row)
            },
        );
    }};
}

/// One thread: the measured code does not hop between worker threads, which
/// on a shared two-core machine adds more noise than signal.
fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn sqlite(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("temporary directory");
    let pool: Pool<Sqlite> = rt.block_on(async {
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("bench.db"))
            .create_if_missing(true)
            .synchronous(SqliteSynchronous::Normal);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .expect("open SQLite");
        sqlx::query(SQLITE_SCHEMA)
            .execute(&pool)
            .await
            .expect("schema");
        fill(&pool).await;
        // Start both sides from a checkpointed database, not from a WAL
        // full of the fill's pages.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&pool)
            .await
            .expect("checkpoint");
        pool
    });
    let mut group = c.benchmark_group("sqlite");
    bench_backend!(
        &mut group,
        &rt,
        "sqlite",
        &pool,
        raw::LIST_SQLITE,
        raw::FILTERED_SQLITE,
        raw::FIND_SQLITE,
        raw::UPDATE_SQLITE,
        raw::INSERT_SQLITE
    );
    writes::sqlite(&mut group, &rt, &pool);
    group.finish();
    report("sqlite");
}

fn postgres(c: &mut Criterion) {
    let rt = runtime();
    let Some(db) = rt.block_on(tenancy_tests::postgres()) else {
        return;
    };
    let pool: Pool<Postgres> = rt.block_on(async {
        sqlx::pool::PoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with((*db.connect_options()).clone())
            .await
            .expect("connect")
    });
    rt.block_on(async {
        sqlx::query(POSTGRES_SCHEMA)
            .execute(&pool)
            .await
            .expect("schema");
        fill(&pool).await;
        sqlx::query("ANALYZE items")
            .execute(&pool)
            .await
            .expect("analyze");
    });
    let mut group = c.benchmark_group("postgres");
    bench_backend!(
        &mut group,
        &rt,
        "postgres",
        &pool,
        raw::LIST_PG,
        raw::FILTERED_PG,
        raw::FIND_PG,
        raw::UPDATE_PG,
        raw::INSERT_PG
    );
    writes::postgres(&mut group, &rt, &pool);
    group.finish();
    report("postgres");
}

criterion_group!(
    benches,
    sqlite,
    postgres,
    rls::postgres_rls,
    pool::pool_check
);
criterion_main!(benches);
