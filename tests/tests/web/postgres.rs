//! The router suite on PostgreSQL.

pub(crate) type Db = sqlx::Postgres;

pub(crate) use super::app::postgres_db as db;

#[path = "suite.rs"]
mod suite;
