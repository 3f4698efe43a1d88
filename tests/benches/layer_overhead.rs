//! What the tenancy layer adds to a request: an authenticated,
//! permission-checked handler against the same handler with no layer, and
//! both against one indexed query on the same pool, on SQLite and
//! PostgreSQL.
//!
//! Every iteration sends four side by side, in rotating order: the bare
//! request; the tenancy request served from the context cache (the steady
//! state: one check statement); the tenancy request with no cache (every
//! context read in full, as on the first request of a session or the first
//! after an access change); and the lone query. The report gives their
//! medians, the median of each per-iteration overhead (tenancy − bare) and
//! its ratio to the query. The target: the overhead is at most one indexed
//! query's worth.
//!
//! Run with `cargo bench -p tenancy-tests --bench layer_overhead`.

use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::future::BoxFuture;
use sqlx::Pool;
use tenancy_access::{self as access, AccessStore, ContextCache, Membership, NewUser, Role};
use tenancy_axum::{Require, TenancyLayer};
use tenancy_core::{Scope, SystemScope};
use tokio::runtime::Runtime;
use tower::ServiceExt;

tenancy_access::permissions! {
    /// The benchmark's one permission.
    pub Permissions {
        /// Read notes.
        ReadNotes: "notes.read", category "notes";
    }
}

async fn bare() -> &'static str {
    "ok"
}

async fn guarded(scope: Scope, _: Require<ReadNotes>) -> &'static str {
    black_box(scope.org());
    "ok"
}

/// A member with a role granting `notes.read`, and their session token.
async fn member<DB>(pool: &Pool<DB>) -> (String, i64)
where
    DB: AccessStore,
    Membership: tenancy_core::RowCodec<DB>,
    Role: tenancy_core::RowCodec<DB>,
{
    let system = SystemScope::new("benchmark").expect("a reason");
    access::schema::apply(pool).await.expect("schema");
    access::sync_permissions(pool, &system, Permissions::ALL)
        .await
        .expect("sync");
    let new_user = |email: &str| NewUser {
        email: email.into(),
        name: email.into(),
        is_developer: false,
    };
    let owner = access::create_user(pool, &system, new_user("owner@bench"))
        .await
        .expect("owner");
    let reader = access::create_user(pool, &system, new_user("reader@bench"))
        .await
        .expect("reader");
    let org = access::create_organization(pool, &system, "Bench", owner.user_id(), "free")
        .await
        .expect("org");
    let scope = Scope::for_member(org, owner.user_id());
    let membership = access::add_member(pool, &system, org, reader.user_id())
        .await
        .expect("membership");
    let role = access::create_role(pool, &scope, "reader")
        .await
        .expect("role");
    access::grant::<ReadNotes, _, _>(pool, &scope, role.id)
        .await
        .expect("grant");
    access::assign_role(pool, &scope, membership.id, role.id)
        .await
        .expect("assign");
    let token = access::issue_session(
        pool,
        reader.user_id(),
        None,
        chrono::Duration::days(1),
        chrono::Utc::now(),
    )
    .await
    .expect("session");
    (token.expose().to_owned(), reader.id.get())
}

/// Per iteration: bare, cached tenancy, uncached tenancy, query (ns).
static SAMPLES: Mutex<Vec<(&'static str, [f64; 4])>> = Mutex::new(Vec::new());

async fn time<F: Future>(future: F) -> Duration {
    let start = Instant::now();
    black_box(future.await);
    start.elapsed()
}

/// The lone indexed query each iteration runs beside the requests.
type Query<DB> = for<'a> fn(&'a Pool<DB>, i64) -> BoxFuture<'a, ()>;

fn user_by_id_sqlite(pool: &sqlx::SqlitePool, id: i64) -> BoxFuture<'_, ()> {
    Box::pin(async move {
        let found: i64 = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
            .expect("query");
        black_box(found);
    })
}

fn user_by_id_postgres(pool: &sqlx::PgPool, id: i64) -> BoxFuture<'_, ()> {
    Box::pin(async move {
        let found: i64 = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
            .expect("query");
        black_box(found);
    })
}

fn bench_backend<DB>(
    c: &mut Criterion,
    rt: &Runtime,
    name: &'static str,
    pool: Pool<DB>,
    query: Query<DB>,
) where
    DB: AccessStore,
    Membership: tenancy_core::RowCodec<DB>,
    Role: tenancy_core::RowCodec<DB>,
{
    let (token, user_id) = rt.block_on(member(&pool));
    let plain = Router::new().route("/", get(bare));
    let tenancy = Router::new()
        .route("/", get(guarded))
        .layer(TenancyLayer::new(pool.clone()));
    let uncached = Router::new()
        .route("/", get(guarded))
        .layer(TenancyLayer::new(pool.clone()).with_context_cache(ContextCache::new(0)));
    let request = |authorized: bool| {
        let mut request = Request::builder().uri("/");
        if authorized {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        request.body(Body::empty()).expect("request")
    };
    let bare_call = || async {
        let response = plain.clone().oneshot(request(false)).await.expect("bare");
        assert!(response.status().is_success());
    };
    let tenancy_call = |router: &Router| {
        let router = router.clone();
        let request = request(true);
        async move {
            let response = router.oneshot(request).await.expect("tenancy");
            assert!(response.status().is_success(), "{}", response.status());
        }
    };
    let query_call = || query(&pool, user_id);
    c.bench_function(&format!("{name}/tenancy_request"), |b| {
        b.to_async(rt).iter_custom(|iters| {
            let (bare_call, tenancy_call, query_call) = (&bare_call, &tenancy_call, &query_call);
            let (tenancy, uncached) = (&tenancy, &uncached);
            async move {
                let mut total = Duration::ZERO;
                let mut samples = Vec::with_capacity(usize::try_from(iters).unwrap_or(0));
                for i in 0..iters {
                    let mut times = [Duration::ZERO; 4];
                    // Rotate the order, so that none always runs first.
                    for step in 0..4 {
                        match (i + step) % 4 {
                            0 => times[0] = time(bare_call()).await,
                            1 => times[1] = time(tenancy_call(tenancy)).await,
                            2 => times[2] = time(tenancy_call(uncached)).await,
                            _ => times[3] = time(query_call()).await,
                        }
                    }
                    total += times[1];
                    samples.push((name, times.map(|t| t.as_nanos() as f64)));
                }
                if let Ok(mut all) = SAMPLES.lock() {
                    all.extend(samples);
                }
                total
            }
        })
    });
    report(name);
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn report(name: &str) {
    let Ok(all) = SAMPLES.lock() else { return };
    let samples: Vec<[f64; 4]> = all
        .iter()
        .filter(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .collect();
    let column = |i: usize| median(samples.iter().map(|t| t[i]).collect()) / 1000.0;
    let overhead = |i: usize| median(samples.iter().map(|t| t[i] - t[0]).collect()) / 1000.0;
    let query = column(3);
    println!(
        "\n| backend | context | samples | bare handler | tenancy handler | overhead (median of differences) | one indexed query | overhead / query |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (i, context) in [(1, "cached, checked"), (2, "read in full")] {
        println!(
            "| {name} | {context} | {} | {:.1} µs | {:.1} µs | {:.1} µs | {query:.1} µs | {:.2} |",
            samples.len(),
            column(0),
            column(i),
            overhead(i),
            overhead(i) / query
        );
    }
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn sqlite(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("temporary directory");
    let pool = rt.block_on(async {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.path().join("bench.db"))
            .create_if_missing(true)
            .foreign_keys(true);
        sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .expect("open SQLite")
    });
    bench_backend(c, &rt, "sqlite", pool, user_by_id_sqlite);
}

fn postgres(c: &mut Criterion) {
    let rt = runtime();
    let Some(db) = rt.block_on(tenancy_tests::postgres()) else {
        return;
    };
    let pool = rt.block_on(async {
        sqlx::pool::PoolOptions::<sqlx::Postgres>::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with((*db.connect_options()).clone())
            .await
            .expect("connect")
    });
    bench_backend(c, &rt, "postgres", pool, user_by_id_postgres);
}

criterion_group!(benches, sqlite, postgres);
criterion_main!(benches);
