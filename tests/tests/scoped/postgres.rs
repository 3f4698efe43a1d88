//! The suite on PostgreSQL.

pub(crate) type Db = sqlx::Postgres;

/// A fresh PostgreSQL database with the schema, or `None` when PostgreSQL
/// is not available outside CI.
pub(crate) async fn db() -> Option<tenancy_tests::TestDb<Db>> {
    let db = tenancy_tests::postgres().await?;
    super::models::create_schema_postgres(&db).await;
    Some(db)
}

#[path = "suite.rs"]
mod suite;
