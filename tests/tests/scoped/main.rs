//! The scoped-table suite, run against SQLite and PostgreSQL.
//!
//! `suite.rs` is compiled twice, once in each backend module, so that every
//! test runs on both databases with the same code and no generic plumbing.
//! Each test gets a fresh database with the schema of `models.rs`.

mod models;
mod postgres;
mod sqlite;
