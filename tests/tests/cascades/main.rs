//! Cascades of soft delete as deep as declared, children held by two
//! parents, and two references to the same model, run against SQLite and
//! PostgreSQL (also with row-level security on).
//!
//! `suite.rs` is compiled once per backend module, as in the kinds suite.

// Helpers of tests may panic: a panic is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// `suite.rs` is compiled once per backend, on purpose.
#![allow(clippy::duplicate_mod)]

mod models;

mod postgres;
mod postgres_rls;
mod sqlite;
