//! The suite on SQLite.

pub(crate) type Db = sqlx::Sqlite;

/// A fresh database with the access tables.
pub(crate) async fn db() -> Option<tenancy_tests::TestDb<Db>> {
    let db = tenancy_tests::sqlite().await;
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
