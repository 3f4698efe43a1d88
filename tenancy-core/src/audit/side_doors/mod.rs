//! Ways past row-level security that the tables' own policies do not
//! close (PostgreSQL): partitions, which a statement can name directly;
//! views and materialized views, which read as their owner or hold rows
//! no policy filters; and exclusion constraints, which PostgreSQL checks
//! against every row, whoever may see it.
//!
//! Each backend reads what it has into the [`Catalog`](super::check::Catalog)
//! (SQLite has none of these), and the checks here compare it with the
//! models like the rest of the audit.

mod views;

#[cfg(feature = "postgres")]
pub(super) use views::ViewInfo;
pub(super) use views::{ViewGraph, check_views};

use super::Finding;
use super::check::TableInfo;
use crate::model::{Kind, ModelInfo};

/// An exclusion constraint of a declared table.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
#[derive(Debug)]
pub(in crate::audit) struct ExclusionInfo {
    pub(in crate::audit) name: String,
    /// The index's access method (`gist`, `btree`, ..).
    pub(in crate::audit) method: String,
    /// Each element: its column (or an expression's text) and operator.
    pub(in crate::audit) elements: Vec<(String, String)>,
}

/// A partition of a declared partitioned table, at any depth.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
#[derive(Debug)]
pub(in crate::audit) struct PartitionInfo {
    /// As PostgreSQL prints it: qualified when off the search path.
    pub(in crate::audit) name: String,
    pub(in crate::audit) enabled: bool,
    pub(in crate::audit) forced: bool,
    /// Its own policies, with whether each is permissive.
    pub(in crate::audit) policies: Vec<(String, bool)>,
    /// Whether the connected role may read or write it directly.
    pub(in crate::audit) accessible: bool,
}

/// Exclusion constraints of scoped and shared tables that do not compare
/// the organization column with `=`: like a unique key without it, one
/// refuses an organization's row for another organization's, which tells
/// it that the other's row exists.
pub(super) fn check_exclusions(model: &ModelInfo, table: &TableInfo, findings: &mut Vec<Finding>) {
    let (Kind::Scoped { org_column } | Kind::Shared { org_column }) = model.kind else {
        return;
    };
    for exclusion in &table.exclusions {
        let per_organization = exclusion
            .elements
            .iter()
            .any(|(column, operator)| column == org_column && operator == "=");
        if !per_organization {
            findings.push(Finding::ExclusionWithoutOrgColumn {
                table: model.table.to_owned(),
                constraint: exclusion.name.clone(),
                method: exclusion.method.clone(),
                elements: exclusion.elements.clone(),
                shared: matches!(model.kind, Kind::Shared { .. }),
                org_column: org_column.to_owned(),
            });
        }
    }
}

/// Partitions of a tenant table that the connected role (`role`) may
/// reach directly without the table's row-level security: enabled,
/// forced, with the `expected` policies and no other permissive one, as
/// `ddl::row_level_security` leaves them. A partition the role has no
/// privilege on is no side door.
pub(super) fn check_partitions(
    model: &ModelInfo,
    table: &TableInfo,
    expected: &[String],
    role: &str,
    findings: &mut Vec<Finding>,
) {
    for partition in table.partitions.iter().filter(|p| p.accessible) {
        let missing_policies: Vec<String> = expected
            .iter()
            .filter(|policy| !partition.policies.iter().any(|(known, _)| known == *policy))
            .cloned()
            .collect();
        let unexpected_policies: Vec<String> = partition
            .policies
            .iter()
            .filter(|(policy, permissive)| *permissive && !expected.contains(policy))
            .map(|(policy, _)| policy.clone())
            .collect();
        if partition.enabled
            && partition.forced
            && missing_policies.is_empty()
            && unexpected_policies.is_empty()
        {
            continue;
        }
        findings.push(Finding::UnprotectedPartition {
            table: model.table.to_owned(),
            partition: partition.name.clone(),
            role: role.to_owned(),
            enabled: partition.enabled,
            forced: partition.forced,
            missing_policies,
            unexpected_policies,
        });
    }
}
