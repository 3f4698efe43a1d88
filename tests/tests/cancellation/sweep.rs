//! The schedule: each operation dropped after each of its suspensions in
//! turn, and every connection of the pool checked after each drop.
//! Compiled once per backend (`Fixture`, `probe` and the writes come from
//! the parent module).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::operations::Operation;
use super::{Db, Fixture, committed_writes, probe, write_marker};

/// The most suspensions one operation may take before it completes.
const MAX_SUSPENSIONS: usize = 200;

/// What the schedule found.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// Operations run.
    pub(crate) operations: usize,
    /// Await points at which an operation was dropped.
    pub(crate) cancellations: usize,
    /// Connections checked after the drops.
    pub(crate) checked: usize,
    /// Connections handed out inside a transaction or with a setting.
    pub(crate) dirty: usize,
    /// Rows of any organization seen by a connection that named none.
    pub(crate) leaked_rows: u64,
    /// Writes on handed-out connections that never committed.
    pub(crate) lost_writes: u64,
    /// The first dirty connections, for the failure message.
    pub(crate) examples: Vec<String>,
}

impl Report {
    /// Fails unless every connection handed out was clean.
    pub(crate) fn assert_clean(&self) {
        assert!(
            self.cancellations > 0,
            "no operation was ever cancelled: {self}"
        );
        assert_eq!(
            (self.dirty, self.leaked_rows, self.lost_writes),
            (0, 0, 0),
            "{self}\n{}",
            self.examples.join("\n")
        );
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} operations cancelled at {} await points, {} connections checked: \
             {} dirty, {} leaked rows, {} lost writes",
            self.operations,
            self.cancellations,
            self.checked,
            self.dirty,
            self.leaked_rows,
            self.lost_writes
        )
    }
}

/// Polls a future until it has suspended `budget` times, then gives up on
/// it: `None` when it had not completed.
struct Budget<F> {
    inner: Pin<Box<F>>,
    left: usize,
}

impl<F: Future> Future for Budget<F> {
    type Output = Option<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.inner.as_mut().poll(cx) {
            Poll::Ready(out) => Poll::Ready(Some(out)),
            Poll::Pending if self.left == 0 => Poll::Ready(None),
            Poll::Pending => {
                self.left -= 1;
                Poll::Pending
            }
        }
    }
}

/// Runs the schedule over every operation of `operations`.
pub(crate) async fn sweep<R>(fx: &Fixture<R>, operations: Vec<(&str, Operation<R>)>) -> Report {
    let mut report = Report::default();
    let mut written = 0;
    for (name, operation) in operations {
        report.operations += 1;
        let mut completed = false;
        for budget in 0..MAX_SUSPENSIONS {
            let run = Budget {
                inner: Box::pin(operation(fx)),
                left: budget,
            };
            if run.await.is_some() {
                completed = true;
                break;
            }
            report.cancellations += 1;
            let when = format!("{name} at {budget}");
            for (pool, tenant) in [(&fx.pool, true), (&fx.system_pool, false)] {
                settle(pool).await;
                check_every_connection(fx, pool, tenant, &when, &mut report, &mut written).await;
            }
        }
        assert!(
            completed,
            "`{name}` did not complete within {MAX_SUSPENSIONS} suspensions"
        );
    }
    settle(&fx.pool).await;
    settle(&fx.system_pool).await;
    report.lost_writes = written - committed_writes(fx).await;
    report
}

/// Holds every connection `pool` has (opening none beyond its size), and
/// checks and writes on each; `tenant` for the app's pool, whose
/// connections must see no row with no organization named (those of the
/// system role see every row, by design).
async fn check_every_connection<R>(
    fx: &Fixture<R>,
    pool: &sqlx::Pool<Db>,
    tenant: bool,
    when: &str,
    report: &mut Report,
    written: &mut u64,
) {
    let size = pool.size().max(1);
    let mut held = Vec::new();
    for _ in 0..size {
        held.push(pool.acquire().await.expect("a connection"));
    }
    for connection in &mut held {
        report.checked += 1;
        let mut found = probe(fx, connection).await;
        if !tenant {
            found.visible_rows = 0;
        }
        if found.dirty() {
            report.dirty += 1;
            if report.examples.len() < 5 {
                report.examples.push(format!("after {when}: {found:?}"));
            }
        }
        report.leaked_rows += found.visible_rows;
        *written += 1;
        write_marker(connection, *written).await;
    }
    drop(held);
    settle(pool).await;
}

/// Waits until every connection is back in the pool (releases run in tasks
/// of their own).
async fn settle<DB: sqlx::Database>(pool: &sqlx::Pool<DB>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut calm = 0;
    while calm < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
        if pool.num_idle() == pool.size() as usize {
            calm += 1;
        } else {
            calm = 0;
        }
    }
}

/// What one connection showed.
#[derive(Debug, Default)]
pub(crate) struct Probe {
    /// Inside a transaction (or failed asking).
    pub(crate) in_transaction: bool,
    /// A `tenancy.*` setting with a value.
    pub(crate) setting: Option<String>,
    /// Rows of tenant tables visible with no organization named.
    pub(crate) visible_rows: u64,
}

impl Probe {
    fn dirty(&self) -> bool {
        self.in_transaction || self.setting.is_some() || self.visible_rows > 0
    }
}
