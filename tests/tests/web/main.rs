//! The axum layer driven through a router, on SQLite and PostgreSQL: every
//! rejection's status, content type and body; organization selection;
//! revocation and billing lockouts on the very next request; the Stripe
//! endpoint.
//!
//! `suite.rs` is compiled twice, once in each backend module.

// Helpers of tests may panic: a panic is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// `suite.rs` is compiled once per backend, on purpose.
#![allow(clippy::duplicate_mod)]

mod app;
mod postgres;
mod sqlite;
