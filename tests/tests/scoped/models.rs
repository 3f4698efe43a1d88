//! The models of the suite and their tables on each backend.
//!
//! The schema follows what the library recommends: the organization column
//! leads the primary key (PostgreSQL) or a unique key (SQLite, where the
//! integer primary key must stand alone to be the row id), and every unique
//! key includes it.

use tenancy_core::{Id, OrgId, Scoped};

/// A scoped model that uses every feature of the derive: a renamed column,
/// a nullable column and a column filled by the database.
#[derive(Debug, Clone, PartialEq, Scoped)]
#[tenancy(table = "items")]
pub(crate) struct Item {
    pub(crate) id: Id<Item>,
    pub(crate) organization_id: OrgId,
    pub(crate) name: String,
    #[tenancy(column = "qty")]
    pub(crate) quantity: i64,
    pub(crate) note: Option<String>,
    #[tenancy(db_default)]
    pub(crate) revision: i64,
}

/// A model that reads the text `name` column as a number: its rows do not
/// decode. Only the failure is used, hence no field is read.
#[allow(dead_code)]
#[derive(Debug, Scoped)]
#[tenancy(table = "items", insert = "NewMisread")]
pub(crate) struct Misread {
    pub(crate) id: Id<Misread>,
    pub(crate) organization_id: OrgId,
    pub(crate) name: i64,
}

/// The organizations every test starts with, by number: see [`org_id`].
pub(crate) const ORGS: [i64; 3] = [1, 2, 3];

/// The id of organization number `n`. Organization ids start at 101 so that
/// they never equal the ids of the rows the tests create: a statement that
/// swapped the two would find nothing instead of passing by coincidence.
pub(crate) fn org_id(n: i64) -> OrgId {
    OrgId::new(100 + n)
}

const SQLITE: &str = "
CREATE TABLE organizations (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    qty INTEGER NOT NULL CHECK (qty >= 0),
    note TEXT,
    revision INTEGER NOT NULL DEFAULT 1,
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, name)
);
INSERT INTO organizations (id, name) VALUES (101, 'Soapworks'), (102, 'Candle Co'), (103, 'Balm Bros');
";

const POSTGRES: &str = "
CREATE TABLE organizations (id BIGINT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE items (
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    qty BIGINT NOT NULL CHECK (qty >= 0),
    note TEXT,
    revision BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, name)
);
INSERT INTO organizations (id, name) VALUES (101, 'Soapworks'), (102, 'Candle Co'), (103, 'Balm Bros');
";

pub(crate) async fn create_schema_sqlite(pool: &sqlx::SqlitePool) {
    sqlx::raw_sql(SQLITE)
        .execute(pool)
        .await
        .expect("create the SQLite schema");
}

pub(crate) async fn create_schema_postgres(pool: &sqlx::PgPool) {
    sqlx::raw_sql(POSTGRES)
        .execute(pool)
        .await
        .expect("create the PostgreSQL schema");
}
