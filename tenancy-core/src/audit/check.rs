//! The comparison of a database's catalog with the declared models, the
//! same for both backends: each backend reads its catalog into a
//! [`Catalog`], and [`check`] turns the differences into findings.

use std::collections::{BTreeMap, HashSet};

use super::side_doors::{self, ExclusionInfo, PartitionInfo, ViewGraph};
use super::{Finding, Report, kinds};
use crate::ddl::{self, Models, quote};
use crate::model::{Kind, ModelInfo};

/// What the audit reads of a database: every table of the schema, with
/// details for the declared ones.
#[derive(Debug, Default)]
pub(super) struct Catalog {
    /// Every table, by name.
    pub(super) tables: BTreeMap<String, TableInfo>,
    /// The connected role; `None` where roles do not exist (SQLite).
    pub(super) role: Option<RoleInfo>,
    /// Views and what they read; empty where row-level security does not
    /// exist (SQLite), since a view there shows what its tables show.
    pub(super) views: ViewGraph,
}

/// A table; only declared tables have their details read.
#[derive(Debug, Default)]
pub(super) struct TableInfo {
    pub(super) columns: Vec<ColumnInfo>,
    /// Every index, the primary key and unique constraints included.
    pub(super) indexes: Vec<IndexInfo>,
    pub(super) foreign_keys: Vec<ForeignKeyInfo>,
    /// Row-level security; `None` where it does not exist (SQLite).
    pub(super) security: Option<SecurityInfo>,
    /// Exclusion constraints (PostgreSQL).
    pub(super) exclusions: Vec<ExclusionInfo>,
    /// Partitions at every depth, of a partitioned table (PostgreSQL).
    pub(super) partitions: Vec<PartitionInfo>,
}

#[derive(Debug)]
pub(super) struct ColumnInfo {
    pub(super) name: String,
    pub(super) nullable: bool,
}

#[derive(Debug)]
pub(super) struct IndexInfo {
    pub(super) name: String,
    /// Key columns in order; an expression's text where it is not a column.
    pub(super) columns: Vec<String>,
    pub(super) unique: bool,
    pub(super) primary: bool,
}

#[derive(Debug)]
pub(super) struct ForeignKeyInfo {
    pub(super) columns: Vec<String>,
    pub(super) target: String,
    pub(super) target_columns: Vec<String>,
}

#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
#[derive(Debug)]
pub(super) struct SecurityInfo {
    pub(super) enabled: bool,
    pub(super) forced: bool,
    /// The policies' names, with whether each is permissive.
    pub(super) policies: Vec<(String, bool)>,
    /// The owner's name, when the connected role owns the table or is a
    /// member of its owner.
    pub(super) owned_through: Option<String>,
}

#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
#[derive(Debug)]
pub(super) struct RoleInfo {
    pub(super) name: String,
    pub(super) superuser: bool,
    pub(super) bypass_rls: bool,
    /// The tenancy settings that have a value outside a transaction.
    pub(super) tenant_settings: Vec<(String, String)>,
    /// The roles of `tenancy_system` policies that let this role through
    /// (`PUBLIC` for every role).
    pub(super) across_orgs_through: Vec<String>,
}

/// Tables that are not the app's: those of libraries' migrations
/// ([`Models::with_library_schema`]) and sqlx's migration bookkeeping.
/// (SQLite's internal tables are not read at all.)
fn ignored_tables(models: &Models) -> HashSet<String> {
    let mut ignored: HashSet<String> = models.library_tables().map(str::to_owned).collect();
    ignored.insert("_sqlx_migrations".to_owned());
    ignored
}

/// The policies `ddl::row_level_security` creates on `model`'s table:
/// read from the statements themselves, so that the audit expects exactly
/// what they write.
pub(super) fn expected_policies(statements: &[String], model: &ModelInfo) -> Vec<String> {
    let on = format!(" ON {} FOR ", quote(model.table));
    statements
        .iter()
        .filter_map(|statement| statement.strip_prefix("CREATE POLICY "))
        .filter_map(|rest| rest.split_once(&on))
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// Whether `table` has a foreign key to `target` that maps every `(from,
/// to)` pair of `pairs`.
fn has_foreign_key(table: &TableInfo, target: &str, pairs: &[(&str, &str)]) -> bool {
    table.foreign_keys.iter().any(|key| {
        key.target == target
            && pairs.iter().all(|(from, to)| {
                key.columns
                    .iter()
                    .zip(&key.target_columns)
                    .any(|(column, target_column)| column == from && target_column == to)
            })
    })
}

/// Compares the catalog with the models.
pub(super) fn check(models: &Models, catalog: &Catalog) -> Report {
    let mut findings = Vec::new();
    if let Some(role) = &catalog.role {
        if role.superuser {
            findings.push(Finding::SuperuserRole {
                role: role.name.clone(),
            });
        }
        if role.bypass_rls {
            findings.push(Finding::RoleBypassesRls {
                role: role.name.clone(),
            });
        }
        // A superuser is a member of every role: reported as such above.
        for through in role.across_orgs_through.iter().filter(|_| !role.superuser) {
            findings.push(Finding::RoleActsAcrossOrgs {
                role: role.name.clone(),
                through: through.clone(),
            });
        }
        for (setting, value) in &role.tenant_settings {
            findings.push(Finding::TenantSettingOutsideTransactions {
                setting: setting.clone(),
                value: value.clone(),
            });
        }
    }
    let declared: HashSet<&str> = models.tables().collect();
    let ignored = ignored_tables(models);
    for table in catalog.tables.keys() {
        if !declared.contains(table.as_str()) && !ignored.contains(table) {
            findings.push(Finding::UndeclaredTable {
                table: table.clone(),
            });
        }
    }
    kinds::check_kinds(models, &mut findings);
    let statements = ddl::row_level_security(models);
    for model in models.iter() {
        match catalog.tables.get(model.table) {
            Some(table) => {
                check_table(model, table, catalog, &statements, &mut findings);
                kinds::check_global(model, table, models, catalog, &mut findings);
            }
            None => findings.push(Finding::MissingTable {
                table: model.table.to_owned(),
            }),
        }
        if let Kind::Inherited { parent, .. } = model.kind {
            findings.push(Finding::NotDistributable {
                table: model.table.to_owned(),
                parent: parent().table.to_owned(),
            });
        }
    }
    if let Some(role) = &catalog.role {
        side_doors::check_views(&catalog.views, &role.name, &mut findings);
    }
    // Models of one table find the table's defects once each.
    let mut seen = HashSet::new();
    findings.retain(|finding| seen.insert(finding.clone()));
    Report { findings }
}

fn check_table(
    model: &ModelInfo,
    table: &TableInfo,
    catalog: &Catalog,
    statements: &[String],
    findings: &mut Vec<Finding>,
) {
    let name = || model.table.to_owned();
    let column = |wanted: &str| table.columns.iter().find(|column| column.name == wanted);
    for &declared in model.columns {
        if column(declared).is_none() {
            findings.push(Finding::MissingColumn {
                table: name(),
                column: declared.to_owned(),
            });
        }
    }
    if let Kind::Scoped { org_column } = model.kind
        && let Some(org) = column(org_column)
    {
        if org.nullable {
            findings.push(Finding::NullableOrgColumn {
                table: name(),
                column: org_column.to_owned(),
            });
        }
        let indexed = table.indexes.iter().any(|index| {
            index
                .columns
                .first()
                .is_some_and(|first| first == org_column)
        });
        if !indexed {
            findings.push(Finding::UnindexedOrgColumn {
                table: name(),
                column: org_column.to_owned(),
                id_column: model.id_column.to_owned(),
            });
        }
    }
    if let Kind::Scoped { org_column } | Kind::Shared { org_column } = model.kind {
        for key in table.indexes.iter().filter(|index| index.unique) {
            let by_id_alone = key.columns.len() == 1 && key.columns[0] == model.id_column;
            if !by_id_alone && !key.columns.iter().any(|column| column == org_column) {
                findings.push(Finding::KeyWithoutOrgColumn {
                    table: name(),
                    key: key.name.clone(),
                    columns: key.columns.clone(),
                    primary: key.primary,
                    shared: matches!(model.kind, Kind::Shared { .. }),
                    org_column: org_column.to_owned(),
                });
            }
        }
    }
    check_references(model, table, catalog, findings);
    side_doors::check_exclusions(model, table, findings);
    if model.is_without_row_level_security() && !matches!(model.kind, Kind::Global) {
        findings.push(Finding::DeclaredWithoutRowLevelSecurity { table: name() });
        if table
            .security
            .as_ref()
            .is_some_and(|security| security.enabled)
        {
            findings.push(Finding::RowLevelSecurityDespiteDeclaration { table: name() });
        }
    }
    if let Some(security) = &table.security {
        check_security(model, table, security, catalog, statements, findings);
    }
}

/// Every reference of `model`, its parent's included, is a foreign key:
/// composite between two scoped tables, as `ddl::foreign_keys` writes it.
fn check_references(
    model: &ModelInfo,
    table: &TableInfo,
    catalog: &Catalog,
    findings: &mut Vec<Finding>,
) {
    let mut references: Vec<(&str, &ModelInfo)> = model
        .references
        .iter()
        .map(|reference| (reference.column, (reference.target)()))
        .collect();
    if let Kind::Inherited { parent, via_column } = model.kind
        && !references.iter().any(|(column, _)| *column == via_column)
    {
        references.push((via_column, parent()));
    }
    for (column, target) in references {
        // A missing table or column is reported as such.
        if !catalog.tables.contains_key(target.table)
            || !table.columns.iter().any(|known| known.name == column)
        {
            continue;
        }
        match (model.kind, target.kind) {
            (
                Kind::Scoped { org_column },
                Kind::Scoped {
                    org_column: target_org,
                },
            ) => {
                let pairs = [(org_column, target_org), (column, target.id_column)];
                if !has_foreign_key(table, target.table, &pairs) {
                    findings.push(Finding::ReferenceNotComposite {
                        table: model.table.to_owned(),
                        column: column.to_owned(),
                        org_column: org_column.to_owned(),
                        target: target.table.to_owned(),
                        target_org_column: target_org.to_owned(),
                        target_id_column: target.id_column.to_owned(),
                    });
                }
            }
            _ => {
                if !has_foreign_key(table, target.table, &[(column, target.id_column)]) {
                    findings.push(Finding::ReferenceWithoutForeignKey {
                        table: model.table.to_owned(),
                        column: column.to_owned(),
                        target: target.table.to_owned(),
                        target_id_column: target.id_column.to_owned(),
                    });
                }
            }
        }
    }
}

/// Row-level security as `ddl::row_level_security` writes it, on the
/// table and on every partition the connected role can reach, and a
/// connected role that does not own the table.
fn check_security(
    model: &ModelInfo,
    table: &TableInfo,
    security: &SecurityInfo,
    catalog: &Catalog,
    statements: &[String],
    findings: &mut Vec<Finding>,
) {
    let name = || model.table.to_owned();
    let expected = expected_policies(statements, model);
    if !expected.is_empty() {
        if !security.enabled {
            findings.push(Finding::RowLevelSecurityDisabled { table: name() });
        }
        if !security.forced {
            findings.push(Finding::RowLevelSecurityNotForced { table: name() });
        }
        for policy in &expected {
            if !security.policies.iter().any(|(known, _)| known == policy) {
                findings.push(Finding::MissingPolicy {
                    table: name(),
                    policy: policy.clone(),
                });
            }
        }
        for (policy, permissive) in &security.policies {
            if *permissive && !expected.contains(policy) {
                findings.push(Finding::UnexpectedPolicy {
                    table: name(),
                    policy: policy.clone(),
                });
            }
        }
        if let Some(role) = &catalog.role {
            side_doors::check_partitions(model, table, &expected, &role.name, findings);
        }
    }
    if let (Some(owner), Some(role)) = (&security.owned_through, &catalog.role) {
        findings.push(Finding::RoleOwnsTable {
            role: role.name.clone(),
            table: name(),
            owner: owner.clone(),
        });
    }
}
