//! The suite on PostgreSQL with row-level security on, through a role the
//! policies apply to: the library's statements and the database's policies
//! must agree on every kind.

pub(crate) type Db = sqlx::Postgres;

pub(crate) use super::models::postgres_rls_db as db;

#[path = "suite.rs"]
mod suite;
