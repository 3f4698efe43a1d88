//! The suite on PostgreSQL.

pub(crate) type Db = sqlx::Postgres;

pub(crate) use super::models::postgres_db as db;

#[path = "helpers.rs"]
mod helpers;
#[path = "suite.rs"]
mod suite;
#[path = "values.rs"]
mod values;
