//! The property test on PostgreSQL.

pub(crate) type Db = sqlx::Postgres;

/// A fresh PostgreSQL database with the schema, or `None` when PostgreSQL
/// is not available outside CI.
pub(crate) async fn db() -> Option<tenancy_tests::TestDb<Db>> {
    let db = tenancy_tests::postgres().await?;
    let schema = super::models::postgres_schema();
    sqlx::raw_sql(sqlx::AssertSqlSafe(schema))
        .execute(db.pool())
        .await
        .expect("create the PostgreSQL schema");
    Some(db)
}

#[path = "suite.rs"]
mod suite;
