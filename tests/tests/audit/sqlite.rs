//! The audit on SQLite: the checks of tables, columns, keys and references
//! (SQLite has no roles and no row-level security).

use sqlx::{Pool, Sqlite};
use tenancy_access as access;
use tenancy_core::audit::{self, Finding};

use super::{BROKEN, CLEAN, assert_refused, foreign_keys, labels, models, sorted};
use crate::models::{Batch, Recipe, RecipeStep};

/// The library's tables, sqlx's bookkeeping, and the models' tables with
/// the keys `tenancy_core::ddl` writes.
fn correct_schema() -> String {
    format!(
        "{library}
CREATE TABLE _sqlx_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL);
CREATE TABLE units (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE);
CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER REFERENCES organizations (id),
    name TEXT NOT NULL,
    UNIQUE (organization_id, name)
);
CREATE TABLE recipes (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    {recipe_key},
    UNIQUE (organization_id, name)
);
CREATE TABLE recipe_steps (
    id INTEGER PRIMARY KEY,
    recipe_id INTEGER NOT NULL,
    body TEXT NOT NULL{step_keys}
);
CREATE TABLE batches (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    recipe_id INTEGER NOT NULL,
    tag_id INTEGER,
    label TEXT NOT NULL,
    {batch_key}{batch_keys}
);
CREATE INDEX batches_by_recipe ON batches (organization_id, recipe_id);",
        library = access::schema::SQLITE,
        recipe_key = tenancy_core::ddl::tenant_key::<Recipe>(),
        step_keys = foreign_keys::<RecipeStep>(),
        batch_key = tenancy_core::ddl::tenant_key::<Batch>(),
        batch_keys = foreign_keys::<Batch>(),
    )
}

/// Every defect SQLite can have; see `BROKEN` for the list.
fn broken_schema() -> String {
    format!(
        "{library}
CREATE TABLE legacy_notes (id INTEGER PRIMARY KEY, organization_id INTEGER, body TEXT);
CREATE TABLE tags (
    id INTEGER NOT NULL,
    organization_id INTEGER,
    name TEXT NOT NULL,
    PRIMARY KEY (name, id)
);
CREATE TABLE recipes (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE recipe_steps (id INTEGER PRIMARY KEY, recipe_id INTEGER NOT NULL);
CREATE TABLE batches (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL,
    recipe_id INTEGER NOT NULL REFERENCES recipes (id),
    tag_id INTEGER,
    label TEXT NOT NULL,
    UNIQUE (organization_id, id)
);
CREATE UNIQUE INDEX batches_by_label ON batches (label);
-- The organization column second: an index scoped statements cannot use.
CREATE INDEX recipes_by_name ON recipes (name, organization_id);",
        library = access::schema::SQLITE,
    )
}

async fn database(schema: &str) -> tenancy_tests::TestDb<Sqlite> {
    let db = tenancy_tests::sqlite().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(schema.to_owned()))
        .execute(db.pool())
        .await
        .expect("create the schema");
    db
}

async fn report(pool: &Pool<Sqlite>) -> audit::Report {
    audit::audit(pool, &models()).await.unwrap()
}

#[tokio::test]
async fn a_correct_schema_has_no_defect() {
    let db = database(&correct_schema()).await;
    let report = report(db.pool()).await;
    assert!(report.is_clean(), "{report}");
    assert_eq!(labels(&report), sorted(&CLEAN));
    assert_eq!(report.notes().count(), 1);
}

#[tokio::test]
async fn a_broken_schema_shows_every_defect() {
    let db = database(&broken_schema()).await;
    let report = report(db.pool()).await;
    assert!(!report.is_clean());
    assert_eq!(labels(&report), sorted(&BROKEN), "{report}");
    // One line per finding.
    assert_eq!(report.to_string().lines().count(), BROKEN.len());
}

#[tokio::test]
async fn a_key_written_without_columns_points_at_the_primary_key() {
    let schema = correct_schema().replace(
        &tenancy_core::ddl::foreign_keys::<RecipeStep>()[0],
        "FOREIGN KEY (recipe_id) REFERENCES recipes",
    );
    let db = database(&schema).await;
    assert_eq!(labels(&report(db.pool()).await), sorted(&CLEAN));
}

#[tokio::test]
async fn findings_name_the_table_and_the_fix() {
    let db = database(&broken_schema()).await;
    let report = report(db.pool()).await;
    let nullable = report
        .findings()
        .iter()
        .find(|finding| matches!(finding, Finding::NullableOrgColumn { .. }))
        .unwrap();
    assert_eq!(
        nullable.to_string(),
        "scoped table `recipes`: `organization_id` is nullable; declare it NOT NULL"
    );
    let composite = report
        .findings()
        .iter()
        .find(|finding| matches!(finding, Finding::ReferenceNotComposite { .. }))
        .unwrap()
        .to_string();
    assert!(
        composite.contains(&tenancy_core::ddl::foreign_keys::<Batch>()[0]),
        "{composite}"
    );
}

#[tokio::test]
async fn require_clean_refuses_a_broken_schema() {
    let db = database(&broken_schema()).await;
    let refused = audit::require_clean(db.pool(), &models())
        .await
        .unwrap_err();
    assert_refused(&refused, BROKEN.len() - 1);
}

#[tokio::test]
async fn require_clean_passes_a_correct_schema() {
    let db = database(&correct_schema()).await;
    let report = audit::require_clean(db.pool(), &models()).await.unwrap();
    assert_eq!(report.notes().count(), 1);
}

#[tokio::test]
async fn require_clean_fails_closed_when_the_audit_cannot_run() {
    let db = database(&correct_schema()).await;
    db.pool().close().await;
    let refused = audit::require_clean(db.pool(), &models())
        .await
        .unwrap_err();
    assert!(
        matches!(refused, audit::AuditFailed::Database(_)),
        "{refused:?}"
    );
    assert!(refused.report().is_none());
}
