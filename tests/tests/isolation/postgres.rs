//! The property test on PostgreSQL.

pub(crate) type Db = sqlx::Postgres;

pub(crate) use super::models::postgres_db as db;

#[path = "listings.rs"]
mod listings;
#[path = "suite.rs"]
mod suite;
