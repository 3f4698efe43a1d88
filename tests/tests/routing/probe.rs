//! (c) Execution: what an operation run through the library did, as
//! PostgreSQL saw it. The plans of the statements it ran (`auto_explain`,
//! nested ones included) cover what `to_sql` does not show, and the table
//! statistics what a plan cannot: where rows actually landed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::Value as Json;
use sqlx::{Connection, PgConnection};
use tenancy_core::OrgId;
use tracing_subscriber::layer::SubscriberExt;

use crate::plan::{check_partitions, relation_names};
use crate::schema::{Fixture, TABLES, org_value, partition_of};
use crate::text::{Dialect, check_text};

#[derive(Debug)]
enum Logged {
    Statement(String),
    Plan(Json),
}

type Log = Arc<Mutex<Vec<Logged>>>;

thread_local! {
    /// The log of the probe of this thread, if any.
    static CAPTURING: std::cell::RefCell<Option<Log>> = const { std::cell::RefCell::new(None) };
}

/// Installs [`Capture`] as the process's subscriber, once.
///
/// Why global: a subscriber set for one thread (`set_default`) while other
/// tests' threads run the same sqlx call sites without one races with
/// tracing's cache of which call sites are enabled, and loses events now
/// and then. A global subscriber that keeps only the events of a thread
/// with a probe has no such race.
fn install_capture() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        // Nothing else in this test binary installs a subscriber.
        let _ =
            tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Capture));
    });
}

/// Stops this thread's capture when its probe goes.
struct CaptureGuard;

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        CAPTURING.with(|log| log.borrow_mut().take());
    }
}

/// A tracing layer that keeps, for a thread with a probe, the statements
/// sqlx logs (`sqlx::query`) and the plans that come back as notices
/// (`sqlx::postgres::notice`): sqlx hands notices only to tracing.
struct Capture;

#[derive(Default)]
struct Fields {
    summary: String,
    statement: String,
    message: String,
}

impl tracing::field::Visit for Fields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        match field.name() {
            "summary" => self.summary = value.to_owned(),
            "db.statement" => self.statement = value.to_owned(),
            "message" => self.message = value.to_owned(),
            _ => {}
        }
    }

    fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let target = event.metadata().target();
        let probed = CAPTURING.with(|log| log.borrow().is_some());
        if !probed || (target != "sqlx::query" && target != "sqlx::postgres::notice") {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let logged = if target == "sqlx::query" {
            // A short statement is logged whole in the summary only.
            let statement = fields.statement.trim();
            Logged::Statement(if statement.is_empty() {
                fields.summary
            } else {
                statement.to_owned()
            })
        } else {
            // "duration: .. ms  plan:\n{ JSON }"
            let Some(json) = fields
                .message
                .find('{')
                .and_then(|at| serde_json::from_str(&fields.message[at..]).ok())
            else {
                return;
            };
            Logged::Plan(json)
        };
        CAPTURING.with(|log| {
            if let Some(log) = &*log.borrow() {
                log.lock().unwrap().push(logged);
            }
        });
    }
}

/// How often the backend scanned each table and changed rows of it, as
/// `pg_stat_xact_user_tables` counts: everything the backend did since it
/// last reported its statistics (PostgreSQL 15 keeps the counts of earlier
/// transactions there until then), so only the difference between two
/// readings in one transaction, which reports nothing meanwhile, is that
/// transaction's own.
async fn activity(conn: &mut PgConnection) -> BTreeMap<String, i64> {
    sqlx::query_as::<_, (String, i64)>(
        "SELECT relname::text, seq_scan + coalesce(idx_scan, 0) + n_tup_ins + n_tup_upd + n_tup_del
         FROM pg_stat_xact_user_tables",
    )
    .fetch_all(conn)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

/// What one operation did.
#[derive(Debug)]
pub(crate) struct Evidence {
    /// Tables its transaction scanned or changed rows of.
    pub(crate) touched: Vec<String>,
    /// The text and relations of the plan of each statement it ran.
    plans: Vec<(String, Vec<String>)>,
    /// The SQL sqlx ran for it.
    statements: Vec<String>,
}

impl Evidence {
    /// Checks the operation for `org`: it touched only `org`'s partitions,
    /// and the partition of each table of `touches`; every plan names only
    /// `org`'s partitions, at most one per table; every statement sqlx ran
    /// on a tenant table passes [`check_text`] (the values are not logged).
    /// Returns the number of plans and statements checked.
    pub(crate) fn check(
        &self,
        fx: &Fixture,
        org: OrgId,
        touches: &[&'static str],
    ) -> Result<(usize, usize), String> {
        for name in &self.touched {
            let home = partition_of(name).map(|(table, _)| fx.home(table, org));
            if home != Some(name.as_str()) {
                return Err(format!(
                    "touched {name}, not a partition of organization {}: {:?}",
                    org.get(),
                    self.touched
                ));
            }
        }
        if let Some(table) = touches
            .iter()
            .find(|t| !self.touched.iter().any(|n| n == fx.home(t, org)))
        {
            return Err(format!(
                "did not touch {}: {:?}",
                fx.home(table, org),
                self.touched
            ));
        }
        let mut plans = 0;
        for (text, names) in &self.plans {
            if names.iter().any(|name| partition_of(name).is_some()) {
                check_partitions(fx, names, org, &[]).map_err(|e| format!("{e}\n{text}"))?;
                plans += 1;
            }
        }
        let mut statements = 0;
        for sql in &self.statements {
            if TABLES.iter().any(|t| sql.contains(&format!("\"{t}\""))) {
                check_text(sql, None, &org_value(org), Dialect::Postgres)?;
                statements += 1;
            }
        }
        Ok((plans, statements))
    }
}

/// Counts of what [`Probe::run`] checked.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) operations: usize,
    pub(crate) plans: usize,
    pub(crate) statements: usize,
}

/// A connection of the superuser on which every executed statement's plan
/// comes back as a notice, with a tracing layer on the test's thread that
/// records them and the statements sqlx runs.
pub(crate) struct Probe<'f> {
    fx: &'f Fixture,
    conn: PgConnection,
    log: Log,
    pub(crate) tally: Tally,
    _guard: CaptureGuard,
}

impl<'f> Probe<'f> {
    pub(crate) async fn new(fx: &'f Fixture) -> Self {
        install_capture();
        let log = Log::default();
        CAPTURING.with(|capturing| *capturing.borrow_mut() = Some(Arc::clone(&log)));
        let guard = CaptureGuard;
        let mut conn = fx.pool().acquire().await.unwrap().detach();
        sqlx::raw_sql(
            "LOAD 'auto_explain';
             SET auto_explain.log_min_duration = 0;
             SET auto_explain.log_level = 'notice';
             SET auto_explain.log_format = 'json';
             SET auto_explain.log_nested_statements = on;
             SET client_min_messages = 'notice';
             -- Plans for the values of each execution, as PostgreSQL
             -- chooses anyway when pruning makes them cheaper: a generic
             -- plan prunes only when it starts, and PostgreSQL 15 still
             -- lists every partition as an UPDATE's target in it.
             SET plan_cache_mode = 'force_custom_plan';",
        )
        .execute(&mut conn)
        .await
        .expect("load auto_explain (part of PostgreSQL) on the test cluster");
        Self {
            fx,
            conn,
            log,
            tally: Tally::default(),
            _guard: guard,
        }
    }

    /// Runs `op` in a transaction of its own, so that the statistics and
    /// the log are its alone, and commits it; returns what `op` returned
    /// and what it did.
    pub(crate) async fn observe<T>(
        &mut self,
        op: impl AsyncFnOnce(&mut PgConnection) -> T,
    ) -> (T, Evidence) {
        let mut tx = self.conn.begin().await.unwrap();
        let before = activity(&mut tx).await;
        self.log.lock().unwrap().clear();
        let out = op(&mut tx).await;
        // Taken before the second reading, which is not the operation's.
        let logged = std::mem::take(&mut *self.log.lock().unwrap());
        let after = activity(&mut tx).await;
        tx.commit().await.unwrap();
        let touched = after
            .into_iter()
            .filter(|(name, count)| before.get(name).is_none_or(|before| count > before))
            .map(|(name, _)| name)
            .collect();
        let (mut plans, mut statements) = (Vec::new(), Vec::new());
        for entry in logged {
            match entry {
                Logged::Plan(plan) => {
                    let text = plan["Query Text"].as_str().unwrap_or_default().to_owned();
                    plans.push((text, relation_names(&plan["Plan"])));
                }
                Logged::Statement(sql) => statements.push(sql),
            }
        }
        let evidence = Evidence {
            touched,
            plans,
            statements,
        };
        (out, evidence)
    }

    /// [`observe`](Self::observe)s `op`, run for `org`, and checks what it
    /// did with [`Evidence::check`]; a failure names the operation.
    pub(crate) async fn run<T>(
        &mut self,
        org: OrgId,
        label: &str,
        touches: &[&'static str],
        op: impl AsyncFnOnce(&mut PgConnection) -> T,
    ) -> T {
        let (out, evidence) = self.observe(op).await;
        let (plans, statements) = evidence
            .check(self.fx, org, touches)
            .unwrap_or_else(|e| panic!("{label} (organization {}): {e}", org.get()));
        assert!(statements > 0, "{label}: no statement was captured");
        self.tally.operations += 1;
        self.tally.plans += plans;
        self.tally.statements += statements;
        out
    }
}
