//! The suite on PostgreSQL.

pub(crate) type Db = sqlx::Postgres;

/// A fresh database with the access tables, or `None` when PostgreSQL
/// is not available outside CI.
pub(crate) async fn db() -> Option<tenancy_tests::TestDb<Db>> {
    let db = tenancy_tests::postgres().await?;
    tenancy_access::schema::apply(db.pool())
        .await
        .expect("create the access tables");
    Some(db)
}

#[path = "suite.rs"]
mod suite;

#[path = "cache.rs"]
mod cache;

#[path = "people/mod.rs"]
mod people;
