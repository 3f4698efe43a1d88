//! Password sign-ins under load: how many argon2id sign-ins per second
//! this machine serves, and what a burst of them does to everyone else.
//!
//! Two figures, on SQLite and PostgreSQL, with the library's real costs
//! (OWASP's m = 19456 KiB, t = 2, p = 1) on a multi-threaded runtime of as
//! many workers as cores:
//!
//! - *sign-ins per second*: 50 clients signing in over and over for a few
//!   seconds, alone and while the ordinary requests below run;
//! - *p50 / p99 of an ordinary request* (a session's permission-checked
//!   request through `TenancyLayer`, served from the context cache), sent
//!   one after the other by one client, alone and then while the 50
//!   clients sign in. The target: the p99 during the burst at most twice
//!   the p99 without it, which holds when hashing waits for its permits on
//!   blocking threads instead of taking the runtime's.
//!
//! Run with `cargo bench -p tenancy-tests --bench sign_in_load`; it prints a
//! table for `BENCHMARKS.md`. Not a criterion benchmark: percentiles under a
//! concurrent load are the measure, not one operation's mean.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use axum::routing::get;
use sqlx::Pool;
use tenancy_access::billing::BillingPolicy;
use tenancy_access::{self as access, AccessStore, NewUser, PasswordAttempt, Passwords};
use tenancy_axum::{Require, TenancyLayer};
use tenancy_core::{Scope, SystemScope};
use tower::ServiceExt;

tenancy_access::permissions! {
    /// The benchmark's one permission.
    pub Permissions {
        /// Read notes.
        ReadNotes: "notes.read", category "notes";
    }
}

const PASSWORD: &str = "a benchmark's password";
const SIGNING_IN: usize = 50;
const PHASE: Duration = Duration::from_secs(6);

async fn guarded(scope: Scope, _: Require<ReadNotes>) -> &'static str {
    black_box(scope.org());
    "ok"
}

/// An organization whose member holds `notes.read` and a password; the
/// member's session token.
async fn seed<DB: AccessStore>(pool: &Pool<DB>, passwords: &Passwords) -> String {
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
    let membership = access::add_member(pool, &system, org, reader.user_id())
        .await
        .expect("membership");
    let scope = Scope::for_member(org, owner.user_id());
    let role = access::create_role(pool, &scope, "reader")
        .await
        .expect("role");
    access::grant::<ReadNotes, _, _>(pool, &scope, role.id)
        .await
        .expect("grant");
    access::assign_role(pool, &scope, membership.id, role.id)
        .await
        .expect("assign");
    access::set_password(pool, &system, passwords, reader.user_id(), PASSWORD)
        .await
        .expect("password");
    access::issue_session(
        pool,
        reader.user_id(),
        None,
        chrono::Duration::days(1),
        chrono::Utc::now(),
    )
    .await
    .expect("session")
    .expose()
    .to_owned()
}

/// Sends the ordinary request one after the other for `PHASE`; the
/// latencies, sorted.
async fn ordinary_requests(app: &Router, token: &str) -> Vec<Duration> {
    let mut latencies = Vec::new();
    let end = Instant::now() + PHASE;
    while Instant::now() < end {
        let request = Request::builder()
            .uri("/")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request");
        let start = Instant::now();
        let response = app.clone().oneshot(request).await.expect("response");
        latencies.push(start.elapsed());
        assert!(response.status().is_success(), "{}", response.status());
    }
    latencies.sort();
    latencies
}

/// Runs `SIGNING_IN` clients signing in over and over while `meanwhile`
/// runs; their sign-ins per second.
async fn sign_ins<DB: AccessStore>(
    pool: &Pool<DB>,
    passwords: &Passwords,
    meanwhile: impl Future<Output = ()>,
) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let signed_in = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = (0..SIGNING_IN)
        .map(|client| {
            let (pool, passwords) = (pool.clone(), passwords.clone());
            let (stop, signed_in) = (Arc::clone(&stop), Arc::clone(&signed_in));
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let source = format!("client {client}");
                    let attempt = PasswordAttempt::new("reader@bench", PASSWORD, &source);
                    access::sign_in_with_password(
                        &pool,
                        &passwords,
                        attempt,
                        None,
                        &BillingPolicy::default(),
                        chrono::Duration::hours(1),
                        chrono::Utc::now(),
                    )
                    .await
                    .expect("sign in");
                    signed_in.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let started = Instant::now();
    meanwhile.await;
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let done = signed_in.load(Ordering::Relaxed);
    for client in clients {
        client.await.expect("client");
    }
    done as f64 / elapsed.as_secs_f64()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at].as_secs_f64() * 1e3
}

async fn run<DB: AccessStore>(name: &str, pool: Pool<DB>) {
    let passwords = Passwords::new();
    let token = seed(&pool, &passwords).await;
    let app = Router::new()
        .route("/", get(guarded))
        .layer(TenancyLayer::new(pool.clone()));
    // Warm the cache, the pool and the dummy hash.
    let _ = ordinary_requests(&app, &token).await;

    let quiet = ordinary_requests(&app, &token).await;

    let alone = sign_ins(&pool, &passwords, async { tokio::time::sleep(PHASE).await }).await;
    let mut busy = Vec::new();
    let during = sign_ins(&pool, &passwords, async {
        busy = ordinary_requests(&app, &token).await;
    })
    .await;
    let (quiet_p50, quiet_p99) = (percentile(&quiet, 0.5), percentile(&quiet, 0.99));
    let (busy_p50, busy_p99) = (percentile(&busy, 0.5), percentile(&busy, 0.99));
    println!(
        "| {name} | {alone:.1} | {during:.1} | {} | {quiet_p50:.2} ms | {quiet_p99:.2} ms | {} | {busy_p50:.2} ms | {busy_p99:.2} ms | {:.2} |",
        quiet.len(),
        busy.len(),
        busy_p99 / quiet_p99
    );
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "| backend | sign-ins / s, alone | sign-ins / s, with requests | requests alone | p50 alone | p99 alone | requests during sign-ins | p50 during | p99 during | p99 during / alone |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let dir = tempfile::tempdir().expect("temporary directory");
    rt.block_on(async {
        let options = tenancy_core::pool::sqlite_options(&format!(
            "sqlite://{}",
            dir.path().join("bench.db").display()
        ))
        .expect("options");
        let pool: sqlx::SqlitePool = tenancy_core::pool::options()
            .max_connections(8)
            .connect_with(options)
            .await
            .expect("open SQLite");
        run("sqlite", pool).await;
    });
    rt.block_on(async {
        let Some(db) = tenancy_tests::postgres().await else {
            return;
        };
        let pool: sqlx::PgPool = tenancy_core::pool::options()
            .max_connections(8)
            .connect_with((*db.connect_options()).clone())
            .await
            .expect("connect");
        run("postgres", pool).await;
    });
}
