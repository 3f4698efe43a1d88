//! Whether each table's models have the kind its rows have: checks the
//! derive cannot make, since it sees one model at a time and never the
//! table.
//!
//! A global model's reads name no organization, so over a table whose rows
//! say which organization they belong to they return every
//! organization's rows. And two models of different kinds over one table
//! treat the same rows two ways: the scoped one keeps organizations apart,
//! the global one reads them all, and row-level security follows whichever
//! model wrote it.

use std::collections::HashSet;

use super::Finding;
use super::check::{Catalog, TableInfo};
use crate::ddl::Models;
use crate::model::{Kind, ModelInfo};

/// The library's table of organizations: a column that references it says
/// which organization a row belongs to, whatever its name.
const ORGANIZATIONS: &str = "organizations";

/// The organization column's name when a model does not choose another.
const DEFAULT_ORG_COLUMN: &str = "organization_id";

/// The kind of `model`, in words, as [`Finding::KindsDiffer`] lists it: two
/// models have the same kind when these are equal.
fn kind(model: &ModelInfo) -> String {
    match model.kind {
        Kind::Scoped { org_column } => format!("scoped by {org_column}"),
        Kind::Shared { org_column } => format!("shared by {org_column}"),
        Kind::Inherited { parent, via_column } => {
            format!("inherited from {} via {via_column}", parent().table)
        }
        Kind::Global => "global".to_owned(),
    }
}

/// Tables declared by models of different kinds, in declaration order of
/// their first model, each with its kinds in the order they are declared.
pub(super) fn check_kinds(models: &Models, findings: &mut Vec<Finding>) {
    let mut seen: HashSet<&str> = HashSet::new();
    for model in models.iter() {
        if !seen.insert(model.table) {
            continue;
        }
        let mut kinds: Vec<String> = Vec::new();
        for other in models.iter().filter(|other| other.table == model.table) {
            let kind = kind(other);
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        if kinds.len() > 1 {
            findings.push(Finding::KindsDiffer {
                table: model.table.to_owned(),
                kinds,
            });
        }
    }
}

/// The columns of a global model's table that say which organization a
/// row belongs to: one named as an organization column (the default, or
/// one the models use), or one that references `organizations`.
pub(super) fn check_global(
    model: &ModelInfo,
    table: &TableInfo,
    models: &Models,
    catalog: &Catalog,
    findings: &mut Vec<Finding>,
) {
    if !matches!(model.kind, Kind::Global) {
        return;
    }
    let mut org_names: Vec<&str> = vec![DEFAULT_ORG_COLUMN];
    org_names.extend(models.iter().filter_map(ModelInfo::org_column));
    // SQLite's names are case-insensitive: so is the reference's target.
    let organizations = catalog
        .tables
        .keys()
        .find(|known| known.eq_ignore_ascii_case(ORGANIZATIONS))
        .map_or(ORGANIZATIONS, String::as_str);
    for column in &table.columns {
        let named = org_names.contains(&column.name.as_str());
        let references = table
            .foreign_keys
            .iter()
            .any(|key| key.target == organizations && key.columns.contains(&column.name));
        if named || references {
            findings.push(Finding::GlobalTableWithOrgColumn {
                table: model.table.to_owned(),
                column: column.name.clone(),
            });
        }
    }
}
