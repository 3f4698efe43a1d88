//! The load test: BatchTrack's API under a realistic mix over many
//! organizations, against the same mix on hand-written handlers
//! (`bare.rs`), open-loop at fixed rates; and the other routes' latency
//! during a burst of password sign-ins.
//!
//! `cargo bench -p batchtrack-ref --bench load` (options after `--`:
//! `--orgs N`, `--seconds S`, `--rounds R`, `--only ROUTE`, `--profile
//! SERVER`; `-- --help` lists them). Both servers run in this process on
//! one SQLite file, with the client: the figures are ratios taken in the
//! same run, on the same machine, not absolute capacities. CI does not
//! run it.
//!
//! 1. Saturation: 32 clients in a closed loop for each server, the
//!    servers in turn, `--rounds` times; a server's median throughput is
//!    its capacity on this machine, and the ratios are the medians of the
//!    rounds' ratios.
//! 2. Open loop at 50% and 80% of each server's own capacity: requests
//!    are sent on a fixed schedule whatever the answers, and each latency
//!    is counted from when the request was due, so a server that falls
//!    behind shows it (no coordinated omission).
//! 3. Sign-in burst: the library's server at 50% of its capacity, with
//!    and without 40 password sign-ins sent at once every second; the p99
//!    of the other routes in both.

mod bare;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use batchtrack_ref::domain::catalog::{IngredientSpec, LineSpec, create_ingredient, create_recipe};
use batchtrack_ref::domain::inventory::{Receipt, receive};
use batchtrack_ref::domain::products::{create_product, create_sku};
use batchtrack_ref::domain::units::UnitBook;
use batchtrack_ref::http::{self, Api};
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::SqlitePool;
use tenancy_core::{Amount, Scope, SystemScope};
use tokio::sync::Mutex;

const PASSWORD: &str = "load-test-password";

/// One organization of the test: its owner's session and its ids.
struct Org {
    email: String,
    token: String,
    ingredient: i64,
    recipe: i64,
    sku: i64,
    /// Batches started and not finished yet.
    started: Mutex<Vec<i64>>,
}

/// The mix, in percent: list lots, find an ingredient, stock check,
/// start a batch, finish one.
const MIX: [(Op, u64); 5] = [
    (Op::List, 40),
    (Op::Find, 25),
    (Op::Check, 25),
    (Op::Start, 5),
    (Op::Finish, 5),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    List,
    Find,
    Check,
    Start,
    Finish,
    SignIn,
}

static ONLY: std::sync::OnceLock<Option<Op>> = std::sync::OnceLock::new();

fn amount(text: &str) -> Amount {
    text.parse().expect("an amount")
}

async fn setup(pool: &SqlitePool, orgs: usize) -> Vec<Org> {
    batchtrack_ref::db::migrate(pool).await.expect("migrates");
    let system = SystemScope::new("load test").expect("a reason");
    tenancy_access::sync_permissions(
        pool,
        &system,
        batchtrack_ref::domain::permissions::BatchTrackPermissions::ALL,
    )
    .await
    .expect("permissions");
    let units = UnitBook::load(pool).await.expect("units");
    let grams = units.by_symbol("g").expect("grams").id;
    let passwords = tenancy_access::Passwords::new();
    let today = chrono::Utc::now().date_naive();
    let mut out = Vec::with_capacity(orgs);
    for n in 0..orgs {
        let email = format!("owner{n}@load.example");
        let made = tenancy_access::sign_up(
            pool,
            &system,
            &passwords,
            tenancy_access::SignUp::new(&format!("Shop {n}"), "Owner", &email, PASSWORD, "team"),
            chrono::Duration::hours(4),
            chrono::Utc::now(),
        )
        .await
        .expect("signs up");
        let scope = Scope::for_member(made.organization, made.user.user_id());
        let mut lines = Vec::new();
        let mut first = None;
        for name in ["Olive oil", "Coconut oil", "Lye", "Lavender oil"] {
            let spec = IngredientSpec {
                name: name.into(),
                category_id: None,
                stock_unit_id: grams,
                density: None,
                unit_weight: None,
                low_stock_threshold: Some(amount("1000")),
            };
            let ingredient = create_ingredient(pool, &scope, &units, spec)
                .await
                .expect("an ingredient");
            first.get_or_insert(ingredient.id);
            // Many lots, so that lists fill a page and batches walk lots.
            for lot in 0..15 {
                let receipt = Receipt {
                    ingredient_id: ingredient.id,
                    lot_number: format!("{name}-{lot}"),
                    supplier: Some("Northwind".into()),
                    quantity: amount("200000"),
                    unit_id: grams,
                    cost_per_unit: amount("0.01"),
                    received_on: today - chrono::Duration::days(30 - lot),
                    expires_on: Some(today + chrono::Duration::days(365)),
                };
                receive(pool, &scope, &units, receipt).await.expect("a lot");
            }
            lines.push(LineSpec {
                ingredient_id: ingredient.id,
                quantity: amount("100"),
                unit_id: grams,
            });
        }
        let (recipe, _) = create_recipe(pool, &scope, &units, "Lavender bar", None, lines)
            .await
            .expect("a recipe");
        let product = create_product(pool, &scope, "Lavender soap", None)
            .await
            .expect("a product");
        let sku = create_sku(
            pool,
            &scope,
            product.id,
            "LAV-100",
            "100 g bar",
            amount("7.5"),
        )
        .await
        .expect("a SKU");
        out.push(Org {
            email,
            token: made.token.expose().to_owned(),
            ingredient: first.expect("an ingredient").get(),
            recipe: recipe.id.get(),
            sku: sku.id.get(),
            started: Mutex::new(Vec::new()),
        });
    }
    out
}

/// A small deterministic generator: the same schedule for both servers.
fn pick(seed: u64) -> u64 {
    let mut x = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(0x2545_F491_4F6C_DD1D);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^ (x >> 33)
}

/// The op of request `seed`: drawn from [`MIX`], or the one `--only`
/// names (to see which route a difference comes from).
fn op_of(seed: u64) -> Op {
    if let Some(op) = ONLY.get().copied().flatten() {
        return op;
    }
    let mut roll = pick(seed) % 100;
    for (op, weight) in MIX {
        if roll < weight {
            return op;
        }
        roll -= weight;
    }
    Op::List
}

/// Sends one request of `op` for `org`; whether it answered 2xx.
async fn send(client: &reqwest::Client, base: &str, org: &Org, op: Op) -> bool {
    let auth = format!("Bearer {}", org.token);
    let request = match op {
        Op::List => client.get(format!("{base}/api/v1/lots")),
        Op::Find => client.get(format!("{base}/api/v1/ingredients/{}", org.ingredient)),
        Op::Check => client.get(format!(
            "{base}/api/v1/recipes/{}/stock-check?scale=1",
            org.recipe
        )),
        Op::Start => client
            .post(format!("{base}/api/v1/batches"))
            .json(&json!({"recipe_id": org.recipe, "scale": "1"})),
        Op::Finish => {
            let Some(batch) = org.started.lock().await.pop() else {
                return Box::pin(send(client, base, org, Op::Start)).await;
            };
            client
                .post(format!("{base}/api/v1/batches/{batch}/finish"))
                .json(&json!({"sku_id": org.sku, "yield_quantity": "40"}))
        }
        Op::SignIn => {
            let answer = client
                .request(Method::POST, format!("{base}/api/v1/auth/login"))
                .json(&json!({"email": org.email, "password": PASSWORD}))
                .send()
                .await;
            return answer.is_ok_and(|r| r.status().is_success());
        }
    };
    let Ok(response) = request.header("authorization", auth).send().await else {
        return false;
    };
    let ok = response.status().is_success();
    if op == Op::Start && ok {
        if let Ok(body) = response.json::<Value>().await
            && let Some(id) = body["batch"]["id"].as_i64()
        {
            org.started.lock().await.push(id);
        }
    } else {
        let _ = response.bytes().await;
    }
    ok
}

/// Latencies of one run, in microseconds, per op.
#[derive(Default)]
struct Run {
    samples: Vec<(Op, u64)>,
    failed: u64,
    seconds: f64,
}

impl Run {
    fn throughput(&self) -> f64 {
        self.samples.len() as f64 / self.seconds
    }

    fn percentile(&self, only: impl Fn(Op) -> bool, p: f64) -> f64 {
        let mut all: Vec<u64> = self
            .samples
            .iter()
            .filter(|(op, _)| only(*op))
            .map(|(_, us)| *us)
            .collect();
        if all.is_empty() {
            return f64::NAN;
        }
        all.sort_unstable();
        let at = ((all.len() as f64 * p).ceil() as usize).clamp(1, all.len()) - 1;
        all[at] as f64 / 1000.0
    }
}

/// `clients` requests at a time for `seconds`: the server's capacity.
async fn closed_loop(base: &str, orgs: &Arc<Vec<Org>>, clients: u64, seconds: u64) -> Run {
    let client = reqwest::Client::new();
    let next = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, orgs, next, base) =
            (client.clone(), orgs.clone(), next.clone(), base.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut run = Run::default();
            while Instant::now() < stop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let (org, op) = (&orgs[(n % orgs.len() as u64) as usize], op_of(n));
                let at = Instant::now();
                if send(&client, &base, org, op).await {
                    run.samples.push((op, at.elapsed().as_micros() as u64));
                } else {
                    run.failed += 1;
                }
            }
            run
        }));
    }
    let mut run = Run::default();
    for task in tasks {
        let part = task.await.expect("a client");
        run.samples.extend(part.samples);
        run.failed += part.failed;
    }
    run.seconds = started.elapsed().as_secs_f64();
    run
}

/// `rate` requests a second for `seconds`, on schedule; with a burst of
/// `burst` sign-ins at the start of every second.
async fn open_loop(base: &str, orgs: &Arc<Vec<Org>>, rate: f64, seconds: u64, burst: usize) -> Run {
    let client = reqwest::Client::new();
    let total = (rate * seconds as f64) as u64;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for n in 0..total {
        let due = started + Duration::from_secs_f64(n as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        let (task_client, task_orgs, task_base) = (client.clone(), orgs.clone(), base.to_owned());
        tasks.push(tokio::spawn(async move {
            let org = &task_orgs[(n % task_orgs.len() as u64) as usize];
            let op = op_of(n);
            let ok = send(&task_client, &task_base, org, op).await;
            (op, due.elapsed().as_micros() as u64, ok)
        }));
        let second = (n as f64 / rate) as u64;
        if burst > 0 && n == (second as f64 * rate) as u64 {
            for b in 0..burst {
                let (client, orgs, base) = (client.clone(), orgs.clone(), base.to_owned());
                tasks.push(tokio::spawn(async move {
                    let at = Instant::now();
                    let ok = send(&client, &base, &orgs[b % orgs.len()], Op::SignIn).await;
                    (Op::SignIn, at.elapsed().as_micros() as u64, ok)
                }));
            }
        }
    }
    let mut run = Run::default();
    for task in tasks {
        let (op, us, ok) = task.await.expect("a request");
        if ok {
            run.samples.push((op, us));
        } else {
            run.failed += 1;
        }
    }
    run.seconds = started.elapsed().as_secs_f64();
    run
}

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = listener.local_addr().expect("an address");
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    format!("http://{address}")
}

fn line(name: &str, run: &Run) {
    let mix = |op: Op| op != Op::SignIn;
    println!(
        "| {name} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
        run.throughput(),
        run.percentile(mix, 0.50),
        run.percentile(mix, 0.90),
        run.percentile(mix, 0.99),
        run.failed,
    );
}

/// The servers the load test compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Server {
    /// `batchtrack_ref::http::router`.
    Library,
    /// The same routes written by hand (`bare.rs`).
    Bare,
    /// The routes by hand behind `with_serving_layers`.
    Layered,
}

/// The routes `--only` may name.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Route {
    List,
    Find,
    Check,
    Start,
    Finish,
}

/// BatchTrack's API under load, against the same routes written by hand.
#[derive(Debug, clap::Parser)]
struct Options {
    /// Organizations, each with its owner signed in.
    #[arg(long, default_value_t = 20)]
    orgs: usize,
    /// Seconds per run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Saturation rounds: the three servers in turn, this many times; the
    /// ratios reported are the medians of the rounds', so that a noisy
    /// moment of the machine weighs on one round and not on the result.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Sends only this route instead of the mix.
    #[arg(long, value_enum)]
    only: Option<Route>,
    /// Saturates only this server, once, and stops: a run to profile
    /// (`perf record`).
    #[arg(long, value_enum)]
    profile: Option<Server>,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let options = <Options as clap::Parser>::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let only = options.only.map(|route| match route {
            Route::List => Op::List,
            Route::Find => Op::Find,
            Route::Check => Op::Check,
            Route::Start => Op::Start,
            Route::Finish => Op::Finish,
        });
        let _ = ONLY.set(only);
        let (orgs_count, seconds) = (options.orgs.max(1), options.seconds.max(1));
        let dir = tempfile::tempdir().expect("a directory");
        let url = format!("sqlite://{}", dir.path().join("load.db").display());
        let pool = match batchtrack_ref::startup::open(&url).await.expect("opens") {
            http::Database::Sqlite(pool) => pool,
            http::Database::Postgres(_) => unreachable!("a SQLite URL"),
        };
        let orgs = Arc::new(setup(&pool, orgs_count).await);
        let library = serve(http::router(Api::new(pool.clone()).await.expect("units"), "sqlite")).await;
        let by_hand = serve(bare::router(pool.clone())).await;
        let by_hand_layered = serve(http::with_serving_layers(bare::router(pool.clone()))).await;
        if let Some(server) = options.profile {
            let base = match server {
                Server::Library => &library,
                Server::Bare => &by_hand,
                Server::Layered => &by_hand_layered,
            };
            line(&format!("{server:?}, saturated (32 clients)"), &closed_loop(base, &orgs, 32, seconds).await);
            return;
        }
        println!(
            "{orgs_count} organizations, {}; {seconds} s per run, {} saturation rounds",
            match only {
                Some(op) => format!("only {op:?}"),
                None => "mix: list lots 40%, find 25%, stock check 25%, start 5%, finish 5%".into(),
            },
            options.rounds.max(1),
        );
        println!("| run | req/s | p50 ms | p90 ms | p99 ms | failed |");
        println!("|---|---|---|---|---|---|");
        let (mut to_bare, mut to_layered) = (Vec::new(), Vec::new());
        let (mut library_rates, mut bare_rates) = (Vec::new(), Vec::new());
        for round in 1..=options.rounds.max(1) {
            let library_max = closed_loop(&library, &orgs, 32, seconds).await;
            let bare_max = closed_loop(&by_hand, &orgs, 32, seconds).await;
            let layered_max = closed_loop(&by_hand_layered, &orgs, 32, seconds).await;
            line(&format!("round {round}: library, saturated (32 clients)"), &library_max);
            line(&format!("round {round}: by hand, saturated (32 clients)"), &bare_max);
            line(&format!("round {round}: by hand with the serving layers, saturated"), &layered_max);
            to_bare.push(library_max.throughput() / bare_max.throughput());
            to_layered.push(library_max.throughput() / layered_max.throughput());
            library_rates.push(library_max.throughput());
            bare_rates.push(bare_max.throughput());
        }
        let (library_rate, bare_rate) = (median(library_rates), median(bare_rates));
        for share in [0.5, 0.8] {
            let library_run = open_loop(&library, &orgs, library_rate * share, seconds, 0).await;
            let bare_run = open_loop(&by_hand, &orgs, bare_rate * share, seconds, 0).await;
            line(&format!("library, open loop at {:.0}%", share * 100.0), &library_run);
            line(&format!("by hand, open loop at {:.0}%", share * 100.0), &bare_run);
        }
        let rate = library_rate * 0.5;
        let quiet = open_loop(&library, &orgs, rate, seconds, 0).await;
        let burst = open_loop(&library, &orgs, rate, seconds, 40).await;
        line("library at 50%, no sign-ins", &quiet);
        line("library at 50%, 40 sign-ins every second", &burst);
        let p99 = |run: &Run| run.percentile(|op| op != Op::SignIn, 0.99);
        let shown = |ratios: &[f64]| {
            ratios.iter().map(|r| format!("{r:.2}")).collect::<Vec<_>>().join(", ")
        };
        println!(
            "throughput at saturation, library / by hand: {:.2} (median of {}); / by hand with the serving layers: {:.2} (median of {})",
            median(to_bare.clone()),
            shown(&to_bare),
            median(to_layered.clone()),
            shown(&to_layered),
        );
        println!(
            "p99 of the mix during sign-in bursts / without: {:.2} (sign-in p50 {:.0} ms, p99 {:.0} ms)",
            p99(&burst) / p99(&quiet),
            burst.percentile(|op| op == Op::SignIn, 0.5),
            burst.percentile(|op| op == Op::SignIn, 0.99),
        );
    });
}
