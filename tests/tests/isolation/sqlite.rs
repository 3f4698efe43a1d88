//! The property test on SQLite.

pub(crate) type Db = sqlx::Sqlite;

pub(crate) use super::models::sqlite_db as db;

#[path = "listings.rs"]
mod listings;
#[path = "suite.rs"]
mod suite;
