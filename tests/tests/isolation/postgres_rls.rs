//! The property test on PostgreSQL with row-level security on, through a
//! role the policies apply to.

pub(crate) type Db = sqlx::Postgres;

pub(crate) use super::models::postgres_rls_db as db;

#[path = "listings.rs"]
mod listings;
#[path = "suite.rs"]
mod suite;
