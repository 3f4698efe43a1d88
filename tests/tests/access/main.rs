//! The suite of access rules: roles, typed permissions, membership,
//! ownership, billing and Stripe webhooks, run against SQLite and PostgreSQL.
//!
//! `suite.rs` is compiled twice, once in each backend module, so that every
//! test runs on both databases with the same code and no generic plumbing.
//! Each test gets a fresh database with the tables of
//! `tenancy_access::schema`, and the people of `fixtures.rs`.

// Helpers of tests may panic: a panic is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// `suite.rs` is compiled once per backend, on purpose.
#![allow(clippy::duplicate_mod)]

mod fixtures;
mod postgres;
mod sqlite;
