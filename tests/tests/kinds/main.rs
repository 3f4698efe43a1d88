//! The suite of table kinds (inherited, shared, global), soft delete with
//! cascades and checked references, run against SQLite and PostgreSQL.
//!
//! `suite.rs` is compiled twice, once in each backend module, so that every
//! test runs on both databases with the same code and no generic plumbing.
//! Each test gets a fresh database with the schema of `models.rs`; on
//! PostgreSQL the suite runs twice, the second time with row-level security
//! on and a role it applies to.

// Helpers of tests may panic: a panic is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// `suite.rs` is compiled once per backend, on purpose.
#![allow(clippy::duplicate_mod)]

mod models;
mod postgres;
mod postgres_rls;
mod sqlite;
