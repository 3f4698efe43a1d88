//! Property test of isolation: random sequences of every operation on every
//! kind of table, in three organizations, checked step by step against a
//! plain in-memory model of what each organization may see and change.
//!
//! `suite.rs` runs once per backend, and once more on PostgreSQL with
//! row-level security on, on the models and schemas of the `kinds` suite.
//! Each case starts from emptied tables; `CASES` cases of up to `MAX_OPS`
//! operations run per backend (`PROPTEST_CASES` overrides).

// Helpers of tests may panic: a panic is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// `suite.rs` is compiled once per backend, on purpose.
#![allow(clippy::duplicate_mod)]

#[path = "../kinds/models.rs"]
mod models;
mod ops;
mod postgres;
mod postgres_rls;
mod sqlite;
