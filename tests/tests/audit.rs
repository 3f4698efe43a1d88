//! The schema audit (`tenancy_core::audit`) against live SQLite and
//! PostgreSQL databases: a correct schema has no defect, and a schema
//! broken on purpose shows every defect the audit knows, each found by a
//! test that fails if its check is removed.
//!
//! The models below have one of every kind; `audit/sqlite.rs` and
//! `audit/postgres.rs` write their tables, correctly and broken, and check
//! the reports. `audit/kinds.rs` (both backends) checks models whose kind
//! does not fit their table; `audit/partitions.rs`, `audit/views.rs` and
//! `audit/exclusions.rs` (PostgreSQL) the side doors past row-level
//! security, each shown open as the app's role before the audit reports
//! it. Findings are compared as short labels, sorted, so that a missing
//! finding and an unexpected one both fail.

// Helpers of tests may panic: a panic is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "audit/exclusions.rs"]
mod exclusions;
#[path = "audit/kinds.rs"]
mod kinds;
#[path = "audit/partitions.rs"]
mod partitions;
#[path = "audit/postgres.rs"]
mod postgres;
#[path = "audit/sqlite.rs"]
mod sqlite;
#[path = "audit/views.rs"]
mod views;

use tenancy_core::audit::{Finding, Report};
use tenancy_core::{Id, OrgId, Scoped, ddl};

/// The models exist for the audit to compare tables with: their fields
/// are never read.
#[allow(dead_code)]
mod models {
    use super::{Id, OrgId, Scoped};

    /// Global: units every organization uses.
    #[derive(Debug, Scoped)]
    #[tenancy(table = "units", global)]
    pub(crate) struct Unit {
        id: Id<Unit>,
        name: String,
    }

    /// Shared: an organization's tags beside system tags.
    #[derive(Debug, Scoped)]
    #[tenancy(table = "tags", shared)]
    pub(crate) struct Tag {
        id: Id<Tag>,
        organization_id: Option<OrgId>,
        name: String,
    }

    /// Scoped.
    #[derive(Debug, Scoped)]
    #[tenancy(table = "recipes")]
    pub(crate) struct Recipe {
        id: Id<Recipe>,
        organization_id: OrgId,
        name: String,
    }

    /// Inherited: scoped through its recipe.
    #[derive(Debug, Scoped)]
    #[tenancy(table = "recipe_steps", parent = Recipe, via = recipe_id)]
    pub(crate) struct RecipeStep {
        id: Id<RecipeStep>,
        recipe_id: Id<Recipe>,
        body: String,
    }

    /// Scoped, referencing a scoped table (a composite key) and a shared
    /// one (a plain key).
    #[derive(Debug, Scoped)]
    #[tenancy(table = "batches")]
    pub(crate) struct Batch {
        id: Id<Batch>,
        organization_id: OrgId,
        #[tenancy(references = Recipe)]
        recipe_id: Id<Recipe>,
        #[tenancy(references = Tag)]
        tag_id: Option<Id<Tag>>,
        label: String,
    }
}

use models::{Batch, Recipe, RecipeStep, Tag, Unit};

/// Every model, parents first.
fn models() -> ddl::Models {
    tenancy_access::schema::models()
        .with::<Unit>()
        .with::<Tag>()
        .with::<Recipe>()
        .with::<RecipeStep>()
        .with::<Batch>()
}

/// `,\n    <clause>` for each foreign key of `M`, from `ddl`.
fn foreign_keys<M: tenancy_core::__private::Table>() -> String {
    ddl::foreign_keys::<M>()
        .into_iter()
        .map(|clause| format!(",\n    {clause}"))
        .collect()
}

/// A short label of a finding: its kind and what it names.
fn label(finding: &Finding) -> String {
    match finding {
        Finding::UndeclaredTable { table } => format!("undeclared {table}"),
        Finding::MissingTable { table } => format!("missing table {table}"),
        Finding::MissingColumn { table, column } => format!("missing column {table}.{column}"),
        Finding::GlobalTableWithOrgColumn { table, column } => {
            format!("global with org column {table}.{column}")
        }
        Finding::KindsDiffer { table, kinds } => {
            format!("kinds differ {table}: {}", kinds.join(", "))
        }
        Finding::NullableOrgColumn { table, column } => format!("nullable {table}.{column}"),
        Finding::UnindexedOrgColumn { table, column, .. } => {
            format!("unindexed {table}.{column}")
        }
        Finding::KeyWithoutOrgColumn {
            table,
            columns,
            primary,
            ..
        } => {
            let what = if *primary {
                "primary key"
            } else {
                "unique key"
            };
            format!("{what} without org {table} ({})", columns.join(", "))
        }
        Finding::ExclusionWithoutOrgColumn {
            table, constraint, ..
        } => format!("exclusion without org {table}.{constraint}"),
        Finding::UnprotectedPartition {
            table, partition, ..
        } => format!("unprotected partition {table}.{partition}"),
        Finding::ViewBypassesPolicies {
            view,
            table,
            through,
            owner,
            ..
        } => format!("view {view} reads {table} as {owner} through {through}"),
        Finding::MaterializedViewOfTenantTable {
            view,
            materialized,
            table,
            ..
        } => format!("materialized {materialized} holds {table}, read as {view}"),
        Finding::ReferenceNotComposite {
            table,
            column,
            target,
            ..
        } => format!("not composite {table}.{column} -> {target}"),
        Finding::ReferenceWithoutForeignKey {
            table,
            column,
            target,
            ..
        } => format!("no foreign key {table}.{column} -> {target}"),
        Finding::RowLevelSecurityDisabled { table } => format!("rls disabled {table}"),
        Finding::RowLevelSecurityNotForced { table } => format!("rls not forced {table}"),
        Finding::MissingPolicy { table, policy } => format!("missing policy {table}.{policy}"),
        Finding::UnexpectedPolicy { table, policy } => {
            format!("unexpected policy {table}.{policy}")
        }
        Finding::SuperuserRole { .. } => "superuser".to_owned(),
        Finding::RoleOwnsTable { table, .. } => format!("owns {table}"),
        Finding::RoleBypassesRls { .. } => "bypassrls".to_owned(),
        Finding::RoleActsAcrossOrgs { through, .. } => format!("across orgs through {through}"),
        Finding::NotDistributable { table, parent } => {
            format!("note: not distributable {table} via {parent}")
        }
        other => panic!("a finding this suite does not know: {other:?}"),
    }
}

/// The labels of every finding, sorted.
fn labels(report: &Report) -> Vec<String> {
    let mut labels: Vec<String> = report.findings().iter().map(label).collect();
    labels.sort();
    labels
}

/// `expected`, sorted, as labels.
fn sorted(expected: &[&str]) -> Vec<String> {
    let mut expected: Vec<String> = expected.iter().map(|label| (*label).to_owned()).collect();
    expected.sort();
    expected
}

/// What a correct schema reports: the inherited table's note only.
const CLEAN: [&str; 1] = ["note: not distributable recipe_steps via recipes"];

/// What the broken schema reports on both backends.
const BROKEN: [&str; 12] = [
    // 1. a table no model declares
    "undeclared legacy_notes",
    // 2. a declared table and a declared column the database lacks
    "missing table units",
    "missing column recipe_steps.body",
    // 3. the organization column of a scoped table
    "nullable recipes.organization_id",
    "unindexed recipes.organization_id",
    // 4. keys without the organization column
    "unique key without org recipes (name)",
    "primary key without org tags (name, id)",
    "unique key without org batches (label)",
    // 5. references
    "not composite batches.recipe_id -> recipes",
    "no foreign key batches.tag_id -> tags",
    "no foreign key recipe_steps.recipe_id -> recipes",
    // 8. the note
    "note: not distributable recipe_steps via recipes",
];

/// Checks what `require_clean` says of a broken schema: an error whose
/// `Display` lists every defect of the report, one per line.
fn assert_refused(refused: &tenancy_core::audit::AuditFailed, expected_defects: usize) {
    let tenancy_core::audit::AuditFailed::Defects(report) = refused else {
        panic!("expected defects, got {refused:?}");
    };
    assert_eq!(report.defects().count(), expected_defects);
    let message = refused.to_string();
    let mut lines = message.lines();
    assert_eq!(
        lines.next(),
        Some(format!("the schema audit found {expected_defects} defects:").as_str())
    );
    let listed: Vec<&str> = lines.collect();
    let defects: Vec<String> = report
        .defects()
        .map(|defect| format!("  - {defect}"))
        .collect();
    assert_eq!(listed, defects);
    // The note is a finding, not a defect.
    assert!(!message.contains("note:"));
}
