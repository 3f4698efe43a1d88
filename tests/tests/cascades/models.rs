//! A warehouse four levels deep: a site cascades to its shelves, a shelf to
//! its bins, a bin to the lots in it and to the transfers from or to it; a
//! supplier cascades to its lots too, so a lot has two parents, and a
//! transfer references two bins.

// Columns the tests only write are read back by the database, not by Rust.
#![allow(dead_code)]

use tenancy_core::{Id, OrgId, Scoped, ddl};

/// The top of the tree.
#[derive(Debug, Clone, Scoped)]
#[tenancy(table = "sites", soft_delete, cascade(Shelf))]
pub(crate) struct Site {
    pub(crate) id: Id<Site>,
    pub(crate) organization_id: OrgId,
    pub(crate) name: String,
    pub(crate) is_active: bool,
}

/// A child that cascades further.
#[derive(Debug, Clone, Scoped)]
#[tenancy(table = "shelves", soft_delete, cascade(Bin))]
pub(crate) struct Shelf {
    pub(crate) id: Id<Shelf>,
    pub(crate) organization_id: OrgId,
    #[tenancy(references = Site)]
    pub(crate) site_id: Id<Site>,
    pub(crate) name: String,
    pub(crate) is_active: bool,
    #[tenancy(cascade_marker)]
    pub(crate) deactivated_with_parent: bool,
}

/// A grandchild, parent of lots and transfers.
#[derive(Debug, Clone, Scoped)]
#[tenancy(table = "bins", soft_delete, cascade(Lot, Transfer))]
pub(crate) struct Bin {
    pub(crate) id: Id<Bin>,
    pub(crate) organization_id: OrgId,
    #[tenancy(references = Shelf)]
    pub(crate) shelf_id: Id<Shelf>,
    pub(crate) name: String,
    pub(crate) is_active: bool,
    #[tenancy(cascade_marker)]
    pub(crate) deactivated_with_parent: bool,
}

/// A second parent of lots.
#[derive(Debug, Clone, Scoped)]
#[tenancy(table = "suppliers", soft_delete, cascade(Lot))]
pub(crate) struct Supplier {
    pub(crate) id: Id<Supplier>,
    pub(crate) organization_id: OrgId,
    pub(crate) name: String,
    pub(crate) is_active: bool,
}

/// Held by its bin and by its supplier.
#[derive(Debug, Clone, Scoped)]
#[tenancy(table = "lots", soft_delete)]
pub(crate) struct Lot {
    pub(crate) id: Id<Lot>,
    pub(crate) organization_id: OrgId,
    #[tenancy(references = Bin)]
    pub(crate) bin_id: Id<Bin>,
    #[tenancy(references = Supplier)]
    pub(crate) supplier_id: Option<Id<Supplier>>,
    pub(crate) code: String,
    pub(crate) is_active: bool,
    #[tenancy(cascade_marker)]
    pub(crate) deactivated_with_parent: bool,
}

/// Two checked references to the same model.
#[derive(Debug, Clone, Scoped)]
#[tenancy(table = "transfers", soft_delete)]
pub(crate) struct Transfer {
    pub(crate) id: Id<Transfer>,
    pub(crate) organization_id: OrgId,
    #[tenancy(references = Bin)]
    pub(crate) from_bin: Id<Bin>,
    #[tenancy(references = Bin)]
    pub(crate) to_bin: Id<Bin>,
    pub(crate) is_active: bool,
    #[tenancy(cascade_marker)]
    pub(crate) deactivated_with_parent: bool,
}

/// A model that cascades to itself: a folder to its subfolders.
#[derive(Debug, Clone, Scoped)]
#[tenancy(table = "folders", soft_delete, cascade(Folder))]
pub(crate) struct Folder {
    pub(crate) id: Id<Folder>,
    pub(crate) organization_id: OrgId,
    #[tenancy(references = Folder)]
    pub(crate) parent_id: Option<Id<Folder>>,
    pub(crate) is_active: bool,
    #[tenancy(cascade_marker)]
    pub(crate) deactivated_with_parent: bool,
}

/// The id of organization number `n` (101, 102).
pub(crate) fn org_id(n: i64) -> OrgId {
    OrgId::new(100 + n)
}

/// The tables, in the dialect of one backend: `key` is the type of ids,
/// `identity` what makes an id column assign itself.
fn schema(key: &str, identity: &str) -> String {
    let table = |name: &str, columns: &str, clauses: Vec<String>| {
        let clauses: String = clauses.iter().map(|c| format!(",\n    {c}")).collect();
        format!(
            "CREATE TABLE {name} (\n    id {key} {identity},\n    organization_id {key} NOT NULL \
             REFERENCES organizations (id),\n    {columns}{clauses}\n);\n"
        )
    };
    fn keys<M: tenancy_core::OrgOwned>() -> Vec<String> {
        let mut clauses = vec![ddl::tenant_key::<M>()];
        clauses.extend(ddl::foreign_keys::<M>());
        clauses
    }
    let marked = "is_active BOOLEAN NOT NULL,\n    deactivated_with_parent BOOLEAN NOT NULL";
    [
        format!(
            "CREATE TABLE organizations (id {key} PRIMARY KEY, name TEXT NOT NULL);\n\
             INSERT INTO organizations (id, name) VALUES (101, 'Soapworks'), (102, 'Candle Co');\n"
        ),
        table("sites", "name TEXT NOT NULL,\n    is_active BOOLEAN NOT NULL", keys::<Site>()),
        table(
            "shelves",
            &format!("site_id {key} NOT NULL,\n    name TEXT NOT NULL,\n    {marked}"),
            keys::<Shelf>(),
        ),
        table(
            "bins",
            &format!("shelf_id {key} NOT NULL,\n    name TEXT NOT NULL,\n    {marked}"),
            keys::<Bin>(),
        ),
        table("suppliers", "name TEXT NOT NULL,\n    is_active BOOLEAN NOT NULL", keys::<Supplier>()),
        table(
            "lots",
            &format!(
                "bin_id {key} NOT NULL,\n    supplier_id {key},\n    code TEXT NOT NULL,\n    {marked}"
            ),
            keys::<Lot>(),
        ),
        table(
            "folders",
            &format!("parent_id {key},\n    {marked}"),
            keys::<Folder>(),
        ),
        table(
            "transfers",
            &format!("from_bin {key} NOT NULL,\n    to_bin {key} NOT NULL,\n    {marked}"),
            keys::<Transfer>(),
        ),
    ]
    .concat()
}

/// A fresh SQLite database with the schema.
pub(crate) async fn sqlite_db() -> Option<tenancy_tests::TestDb<sqlx::Sqlite>> {
    let db = tenancy_tests::sqlite().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(schema("INTEGER", "PRIMARY KEY")))
        .execute(db.pool())
        .await
        .expect("create the SQLite schema");
    Some(db)
}

fn postgres_schema() -> String {
    schema("BIGINT", "GENERATED ALWAYS AS IDENTITY UNIQUE")
}

/// A fresh PostgreSQL database with the schema, or `None` when PostgreSQL
/// is not available outside CI.
pub(crate) async fn postgres_db() -> Option<tenancy_tests::TestDb<sqlx::Postgres>> {
    let db = tenancy_tests::postgres().await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(postgres_schema()))
        .execute(db.pool())
        .await
        .expect("create the PostgreSQL schema");
    Some(db)
}

/// The same with row-level security on every table, through a role the
/// policies apply to.
pub(crate) async fn postgres_rls_db() -> Option<tenancy_tests::TestDb<sqlx::Postgres>> {
    let models = ddl::Models::new()
        .with::<Site>()
        .with::<Shelf>()
        .with::<Bin>()
        .with::<Supplier>()
        .with::<Lot>()
        .with::<Transfer>()
        .with::<Folder>();
    tenancy_tests::postgres_with_rls(&postgres_schema(), &ddl::row_level_security(&models)).await
}
