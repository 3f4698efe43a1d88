//! The suite on PostgreSQL.

pub(crate) type Db = sqlx::Postgres;

pub(crate) use super::models::postgres_db as db;

#[path = "suite.rs"]
mod suite;
