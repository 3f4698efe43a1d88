//! The suite on SQLite.

pub(crate) type Db = sqlx::Sqlite;

/// A fresh SQLite database with the schema.
pub(crate) async fn db() -> Option<tenancy_tests::TestDb<Db>> {
    let db = tenancy_tests::sqlite().await;
    super::models::create_schema_sqlite(&db).await;
    Some(db)
}

#[path = "suite.rs"]
mod suite;
