//! The property test on SQLite.

pub(crate) type Db = sqlx::Sqlite;

/// A fresh SQLite database with the schema.
pub(crate) async fn db() -> Option<tenancy_tests::TestDb<Db>> {
    let db = tenancy_tests::sqlite().await;
    let schema = super::models::sqlite_schema();
    sqlx::raw_sql(sqlx::AssertSqlSafe(schema))
        .execute(db.pool())
        .await
        .expect("create the SQLite schema");
    Some(db)
}

#[path = "suite.rs"]
mod suite;
