//! A slice of BatchTrack's stock: ingredients, their lots (soft delete, a
//! checked reference, an exact quantity, a nullable expiry, a state stored
//! as text), what batches used of each lot (inherited through the lot), and
//! a counter; with their tables on each backend.

use chrono::NaiveDate;
use tenancy_core::{Amount, Id, OrgId, Scoped, TextEnum, ddl};

/// Where a lot is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, TextEnum)]
pub(crate) enum LotState {
    Received,
    InUse,
    #[tenancy(rename = "gone")]
    Expired,
}

#[derive(Debug, Clone, PartialEq, Scoped)]
#[tenancy(table = "ingredients")]
pub(crate) struct Ingredient {
    pub(crate) id: Id<Ingredient>,
    pub(crate) organization_id: OrgId,
    pub(crate) name: String,
}

#[derive(Debug, Clone, PartialEq, Scoped)]
#[tenancy(table = "lots", soft_delete)]
pub(crate) struct Lot {
    pub(crate) id: Id<Lot>,
    pub(crate) organization_id: OrgId,
    #[tenancy(references = Ingredient)]
    pub(crate) ingredient_id: Id<Ingredient>,
    pub(crate) quantity: Amount,
    pub(crate) units: i64,
    pub(crate) expires_on: Option<NaiveDate>,
    pub(crate) state: LotState,
    pub(crate) is_active: bool,
}

/// Inherited: scoped through its lot.
#[derive(Debug, Clone, PartialEq, Scoped)]
#[tenancy(table = "usages", parent = Lot, via = lot_id)]
pub(crate) struct Usage {
    pub(crate) id: Id<Usage>,
    pub(crate) lot_id: Id<Lot>,
    pub(crate) amount: Amount,
}

/// Append-only: every movement of a lot's stock, corrected by new rows.
#[derive(Debug, Clone, PartialEq, Scoped)]
#[tenancy(table = "stock_moves", append_only)]
pub(crate) struct StockMove {
    pub(crate) id: Id<StockMove>,
    pub(crate) organization_id: OrgId,
    #[tenancy(references = Lot)]
    pub(crate) lot_id: Id<Lot>,
    pub(crate) quantity: Amount,
}

#[derive(Debug, Clone, PartialEq, Scoped)]
#[tenancy(table = "counters")]
pub(crate) struct Counter {
    pub(crate) id: Id<Counter>,
    pub(crate) organization_id: OrgId,
    pub(crate) value: i64,
}

/// The id of organization number `n`.
pub(crate) fn org_id(n: i64) -> OrgId {
    OrgId::new(100 + n)
}

fn clauses<M: tenancy_core::__private::Table>() -> String {
    ddl::foreign_keys::<M>()
        .into_iter()
        .map(|clause| format!(",\n    {clause}"))
        .collect()
}

/// On SQLite an `Amount` is an `INTEGER` of millionths.
pub(crate) fn sqlite_schema() -> String {
    let key = |k: String| format!(",\n    {k}");
    format!(
        "CREATE TABLE organizations (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO organizations (id, name) VALUES (101, 'Soapworks'), (102, 'Candle Co');
CREATE TABLE ingredients (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL{ingredient_key}
);
CREATE TABLE lots (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    ingredient_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    units INTEGER NOT NULL,
    expires_on TEXT,
    state TEXT NOT NULL,
    is_active BOOLEAN NOT NULL{lot_key}{lot_fks}
);
CREATE TABLE usages (
    id INTEGER PRIMARY KEY,
    lot_id INTEGER NOT NULL,
    amount INTEGER NOT NULL{usage_fks}
);
CREATE TABLE stock_moves (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    lot_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL{move_key}{move_fks}
);
CREATE TABLE counters (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    value INTEGER NOT NULL{counter_key}
);",
        ingredient_key = key(ddl::tenant_key::<Ingredient>()),
        lot_key = key(ddl::tenant_key::<Lot>()),
        lot_fks = clauses::<Lot>(),
        usage_fks = clauses::<Usage>(),
        counter_key = key(ddl::tenant_key::<Counter>()),
        move_key = key(ddl::tenant_key::<StockMove>()),
        move_fks = clauses::<StockMove>(),
    )
}

/// On PostgreSQL an `Amount` is a `NUMERIC(19, 6)`.
pub(crate) fn postgres_schema() -> String {
    format!(
        "CREATE TABLE organizations (id BIGINT PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO organizations (id, name) VALUES (101, 'Soapworks'), (102, 'Candle Co');
CREATE TABLE ingredients (
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    PRIMARY KEY (organization_id, id),
    UNIQUE (id)
);
CREATE TABLE lots (
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    ingredient_id BIGINT NOT NULL,
    quantity NUMERIC(19, 6) NOT NULL,
    units BIGINT NOT NULL,
    expires_on DATE,
    state TEXT NOT NULL,
    is_active BOOLEAN NOT NULL,
    PRIMARY KEY (organization_id, id),
    UNIQUE (id){lot_fks}
);
CREATE TABLE usages (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lot_id BIGINT NOT NULL,
    amount NUMERIC(19, 6) NOT NULL{usage_fks}
);
CREATE INDEX usages_lot_id ON usages (lot_id);
CREATE TABLE stock_moves (
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    lot_id BIGINT NOT NULL,
    quantity NUMERIC(19, 6) NOT NULL,
    PRIMARY KEY (organization_id, id){move_fks}
);
CREATE TABLE counters (
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    value BIGINT NOT NULL,
    PRIMARY KEY (organization_id, id)
);",
        lot_fks = clauses::<Lot>(),
        usage_fks = clauses::<Usage>(),
        move_fks = clauses::<StockMove>(),
    )
}

pub(crate) async fn sqlite_db() -> Option<tenancy_tests::TestDb<sqlx::Sqlite>> {
    Some(tenancy_tests::sqlite_with(&sqlite_schema()).await)
}

pub(crate) async fn postgres_db() -> Option<tenancy_tests::TestDb<sqlx::Postgres>> {
    tenancy_tests::postgres_with(&postgres_schema()).await
}

pub(crate) fn models() -> ddl::Models {
    ddl::Models::new()
        .with::<Ingredient>()
        .with::<Lot>()
        .with::<Usage>()
        .with::<StockMove>()
        .with::<Counter>()
}

pub(crate) async fn postgres_rls_db() -> Option<tenancy_tests::TestDb<sqlx::Postgres>> {
    tenancy_tests::postgres_with_rls(&postgres_schema(), &ddl::row_level_security(&models())).await
}
