//! Routability on plain PostgreSQL (DESIGN §5): with every tenant table
//! hash-partitioned by `organization_id`, each statement the library
//! generates for one organization touches one partition of each table it
//! reads or writes, the organization's own, just as Citus needs a
//! statement to name one distribution value to route it to one shard.
//!
//! The evidence, for every generated operation (find; select plain, paged,
//! filtered, ordered; count; insert with a checked reference; update; soft
//! delete with its cascade; hard delete; restore; parents with their
//! children; the include-inactive variants), is of three kinds:
//!
//! - (a) plans (`plan.rs`): `EXPLAIN (FORMAT JSON)` of the SQL and values
//!   that `to_sql` gives, planned with the values bound (a custom plan, so
//!   the planner prunes partitions), names exactly one partition of each
//!   partitioned table the statement reads, the organization's own, and
//!   none of another;
//! - (b) text (`text.rs`): every statement, on both backends' SQL, compares
//!   the organization column of each tenant table it reads or writes with
//!   a placeholder bound to the organization;
//! - (c) execution (`operations.rs`, through `probe.rs`): each operation
//!   runs through the library on the partitioned schema and returns what
//!   it should; `pg_stat_xact_user_tables` shows that its transaction
//!   scanned, inserted, updated or deleted in the organization's
//!   partitions only; and the plan of every statement that ran
//!   (`auto_explain`, nested statements included) passes (a), which also
//!   covers what `to_sql` does not show: counts, cascades, the probes that
//!   explain a refused write, and PostgreSQL's own foreign-key checks.
//!
//! `controls.rs` shows that none of the three is vacuous: a hand-written
//! unfiltered statement, and the one deliberately cross-organization
//! select, fail each.

// Helpers of tests may panic: a panic is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cases;
mod controls;
mod operations;
mod plan;
mod probe;
mod schema;
mod text;
