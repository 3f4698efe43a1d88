//! The write path an inventory needs, on SQLite and PostgreSQL: guarded and
//! relative updates under concurrency, write transactions that retry, row
//! locks, aggregates, many-row inserts, exact amounts, enums stored as
//! text, and nulls ordered alike.
//!
//! `suite.rs` is compiled once per backend module, as in the kinds suite;
//! on PostgreSQL it runs twice, the second time with row-level security on
//! and a role it applies to, so that every statement is also checked by
//! the database's policies.

// Helpers of tests may panic: a panic is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// `suite.rs` is compiled once per backend, on purpose.
#![allow(clippy::duplicate_mod)]

mod models;
mod postgres;
mod postgres_rls;
mod sqlite;
