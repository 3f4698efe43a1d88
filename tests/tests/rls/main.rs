//! Row-level security on PostgreSQL, the second wall: raw SQL that forgot
//! its filter, a transaction that names no organization, a pool shared by
//! many organizations, and what naming the organization costs.
//!
//! The tables belong to an owner that is not a superuser (so `FORCE` is
//! tested too), and the application connects as a role that is neither
//! superuser, owner nor `BYPASSRLS`. The schema and models are those of
//! the `kinds` suite. PostgreSQL only: SQLite has no row-level security.

// Helpers of tests may panic: a panic is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bypass;
#[path = "../kinds/models.rs"]
#[allow(dead_code)]
mod models;
mod plans;
mod pool;
mod raw;
mod round_trips;
mod setup;
