//! The suite on SQLite.

pub(crate) type Db = sqlx::Sqlite;

pub(crate) use super::models::sqlite_db as db;

#[path = "helpers.rs"]
mod helpers;
#[path = "suite.rs"]
mod suite;
#[path = "values.rs"]
mod values;
