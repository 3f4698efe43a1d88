//! The one line each finding writes: what is wrong, and what to write.

use std::fmt;

use super::Finding;
use crate::ddl::quote;

/// Identifiers, quoted, separated by commas.
fn list<S: AsRef<str>>(identifiers: &[S]) -> String {
    identifiers
        .iter()
        .map(|identifier| quote(identifier.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UndeclaredTable { table } => write!(
                f,
                "table `{table}` is not declared by any model; declare its model with \
                 `#[derive(Scoped)]` (scoped, shared, inherited, or `#[tenancy(global)]` if its \
                 rows belong to no organization) and add it to `Models`, or drop the table"
            ),
            Self::MissingTable { table } => write!(
                f,
                "declared table `{table}` does not exist; create it in a migration, or remove \
                 its model from `Models`"
            ),
            Self::MissingColumn { table, column } => write!(
                f,
                "table `{table}` has no column `{column}`, which its model declares; add the \
                 column, or name the field's column with `#[tenancy(column = \"...\")]`"
            ),
            Self::GlobalTableWithOrgColumn { table, column } => write!(
                f,
                "global table `{table}` has column `{column}`, which says which organization \
                 a row belongs to, but a global model's reads name no organization, so every \
                 organization reads every row and row-level security has no policy for it; \
                 declare the model scoped (`organization_id: OrgId`), or `#[tenancy(shared)]` \
                 (`organization_id: Option<OrgId>`) if rows without an organization are \
                 system rows every organization reads; or drop the column if the rows belong \
                 to no organization"
            ),
            Self::KindsDiffer { table, kinds } => write!(
                f,
                "table `{table}` is declared by models of different kinds ({}), so one model \
                 reads or writes the rows another keeps apart by organization; declare every \
                 model of the table with the kind its rows have (scoped, if they belong to \
                 organizations), or give each kind a table of its own",
                kinds.join("; ")
            ),
            Self::NullableOrgColumn { table, column } => write!(
                f,
                "scoped table `{table}`: `{column}` is nullable; declare it NOT NULL"
            ),
            Self::UnindexedOrgColumn {
                table,
                column,
                id_column,
            } => write!(
                f,
                "scoped table `{table}`: no index starts with `{column}`, so every scoped \
                 statement reads the whole table; add UNIQUE ({}) (`ddl::tenant_key`) or make \
                 it the primary key",
                list(&[column, id_column])
            ),
            Self::KeyWithoutOrgColumn {
                table,
                key,
                columns,
                primary,
                shared,
                org_column,
            } => {
                let kind = if *shared { "shared" } else { "scoped" };
                let what = if *primary {
                    "primary key"
                } else {
                    "unique key"
                };
                let mut with_org = vec![org_column.clone()];
                with_org.extend(columns.iter().cloned());
                let fix = match (primary, shared) {
                    (true, false) => format!("make it PRIMARY KEY ({})", list(&with_org)),
                    // A nullable column cannot be part of a primary key.
                    (true, true) => format!(
                        "make the id alone the primary key, and add UNIQUE ({})",
                        list(&with_org)
                    ),
                    (false, _) => format!("make it UNIQUE ({})", list(&with_org)),
                };
                write!(
                    f,
                    "{kind} table `{table}`: {what} `{key}` ({}) does not include \
                     `{org_column}`, so a refused insert tells one organization that another \
                     holds the value; {fix}",
                    columns.join(", "),
                )
            }
            Self::ExclusionWithoutOrgColumn {
                table,
                constraint,
                method,
                elements,
                shared,
                org_column,
            } => {
                let kind = if *shared { "shared" } else { "scoped" };
                let element =
                    |(column, operator): &(String, String)| format!("{column} WITH {operator}");
                let shown: Vec<String> = elements.iter().map(element).collect();
                let mut fixed = vec![format!("{} WITH =", quote(org_column))];
                fixed.extend(
                    elements
                        .iter()
                        .filter(|(column, _)| column != org_column)
                        .map(element),
                );
                let hint = if method == "gist" {
                    " (the btree_gist extension gives gist the = of the organization column's \
                     type)"
                } else {
                    ""
                };
                write!(
                    f,
                    "{kind} table `{table}`: exclusion constraint `{constraint}` ({}) does not \
                     compare `{org_column}` with =, and PostgreSQL checks it against every \
                     organization's rows, so an insert it refuses tells one organization that \
                     another holds a conflicting value; recreate it as EXCLUDE USING {method} \
                     ({}){hint}",
                    shown.join(", "),
                    fixed.join(", "),
                )
            }
            Self::ReferenceNotComposite {
                table,
                column,
                org_column,
                target,
                target_org_column,
                target_id_column,
            } => write!(
                f,
                "scoped table `{table}`: `{column}` references `{target}` without a composite \
                 foreign key, so the database accepts a reference to another organization's \
                 row; add FOREIGN KEY ({}) REFERENCES {} ({}) (`ddl::foreign_keys`), with \
                 UNIQUE ({}) on `{target}` (`ddl::tenant_key`)",
                list(&[org_column, column]),
                quote(target),
                list(&[target_org_column, target_id_column]),
                list(&[target_org_column, target_id_column]),
            ),
            Self::ReferenceWithoutForeignKey {
                table,
                column,
                target,
                target_id_column,
            } => write!(
                f,
                "table `{table}`: `{column}` references `{target}` without a foreign key; add \
                 FOREIGN KEY ({}) REFERENCES {} ({}) (`ddl::foreign_keys`)",
                quote(column),
                quote(target),
                quote(target_id_column)
            ),
            Self::RowLevelSecurityDisabled { table } => write!(
                f,
                "table `{table}`: row-level security is not enabled, so a query that forgets its \
                 filter sees every organization; run ALTER TABLE {} ENABLE ROW LEVEL SECURITY \
                 (`ddl::row_level_security`)",
                quote(table)
            ),
            Self::RowLevelSecurityNotForced { table } => write!(
                f,
                "table `{table}`: row-level security is not forced, so the table's owner \
                 bypasses it; run ALTER TABLE {} FORCE ROW LEVEL SECURITY \
                 (`ddl::row_level_security`)",
                quote(table)
            ),
            Self::MissingPolicy { table, policy } => write!(
                f,
                "table `{table}`: row-level security policy `{policy}` is missing; run the \
                 statements of `ddl::row_level_security` as the table's owner"
            ),
            Self::UnexpectedPolicy { table, policy } => write!(
                f,
                "table `{table}`: permissive policy `{policy}` is not one \
                 `ddl::row_level_security` writes, and permissive policies add up, so it may \
                 open other organizations' rows; run DROP POLICY {} ON {}, or recreate it AS \
                 RESTRICTIVE",
                quote(policy),
                quote(table)
            ),
            Self::UnprotectedPartition {
                table,
                partition,
                role,
                enabled,
                forced,
                missing_policies,
                unexpected_policies,
            } => {
                let mut gaps = Vec::new();
                if !enabled {
                    gaps.push("row-level security not enabled".to_owned());
                }
                if !forced {
                    gaps.push("not forced, so its owner bypasses it".to_owned());
                }
                gaps.extend(missing_policies.iter().map(|p| format!("no policy `{p}`")));
                gaps.extend(unexpected_policies.iter().map(|p| {
                    format!(
                        "permissive policy `{p}`, which `ddl::row_level_security` does not write"
                    )
                }));
                let so = if !enabled {
                    ", so it shows and accepts every organization's rows"
                } else if !unexpected_policies.is_empty() {
                    ", so it may show other organizations' rows"
                } else {
                    ""
                };
                write!(
                    f,
                    "partition `{partition}` of tenant table `{table}` lacks the table's \
                     row-level security ({}), and the app's role `{role}` may read or write it \
                     directly, where the partition's own row-level security applies, not the \
                     table's{so}; run the statements of `ddl::row_level_security` again as the \
                     tables' owner (they hold every partition that exists to the table's \
                     policies), or REVOKE ALL ON {partition} FROM {}",
                    gaps.join("; "),
                    quote(role)
                )
            }
            Self::ViewBypassesPolicies {
                view,
                table,
                through,
                owner,
                role,
            } => {
                let reads = if through == view {
                    format!("with the rights of its owner `{owner}` (it is not security_invoker)")
                } else {
                    format!(
                        "through view `{through}`, which reads with the rights of its owner \
                         `{owner}` (it is not security_invoker)"
                    )
                };
                write!(
                    f,
                    "view `{view}` reads tenant table `{table}` {reads}, and row-level security \
                     does not hold `{owner}` there (a superuser, a role with BYPASSRLS, or the \
                     table's owner when it is not forced), so the app's role `{role}`, which \
                     may read the view, sees every organization's rows; run ALTER VIEW \
                     {through} SET (security_invoker = true), or REVOKE SELECT ON {view} FROM {}",
                    quote(role)
                )
            }
            Self::MaterializedViewOfTenantTable {
                view,
                materialized,
                table,
                role,
            } => {
                let what = if materialized == view {
                    format!("materialized view `{view}` holds rows of tenant table `{table}`")
                } else {
                    format!(
                        "view `{view}` reads materialized view `{materialized}`, which holds \
                         rows of tenant table `{table}`"
                    )
                };
                write!(
                    f,
                    "{what}, and a materialized view has no policies: it holds the rows its \
                     refresh read, for whoever reads it, so the app's role `{role}`, which may \
                     read it, sees every organization's rows there; REVOKE SELECT ON {view} \
                     FROM {} (and read it as another role), or replace `{materialized}` with a \
                     view WITH (security_invoker = true)",
                    quote(role)
                )
            }
            Self::SuperuserRole { role } => write!(
                f,
                "the app's role `{role}` is a superuser, which bypasses row-level security; \
                 connect as a role created NOSUPERUSER NOBYPASSRLS that owns no table and is \
                 granted SELECT, INSERT, UPDATE, DELETE"
            ),
            Self::RoleOwnsTable { role, table, owner } => {
                let owns = if role == owner {
                    format!("owns table `{table}`")
                } else {
                    format!("is a member of `{owner}`, which owns table `{table}`")
                };
                write!(
                    f,
                    "the app's role `{role}` {owns}, so it may turn row-level security off or \
                     alter the table; run ALTER TABLE {} OWNER TO <migration role>, and grant \
                     `{role}` only SELECT, INSERT, UPDATE, DELETE",
                    quote(table)
                )
            }
            Self::RoleBypassesRls { role } => write!(
                f,
                "the app's role `{role}` has BYPASSRLS, so row-level security does not apply to \
                 it; run ALTER ROLE {} NOBYPASSRLS",
                quote(role)
            ),
            Self::RoleActsAcrossOrgs { role, through } if through == "PUBLIC" => write!(
                f,
                "the `tenancy_system` policies apply to every role, `{role}` included, so raw \
                 SQL on the app's connections reads every organization; run the statements of \
                 ddl::row_level_security again, which write them TO the system role"
            ),
            Self::RoleActsAcrossOrgs { role, through } => write!(
                f,
                "the app's role `{role}` is a member of `{through}`, the role the \
                 `tenancy_system` policies let through, so raw SQL on the app's connections \
                 reads every organization; run REVOKE {} FROM {} and keep the system role for \
                 the login of cross-organization work",
                quote(through),
                quote(role)
            ),
            Self::TenantSettingOutsideTransactions { setting, value } => write!(
                f,
                "`{setting}` is `{value}` outside any transaction on the app's connection, so \
                 statements act with it without naming it; remove the default (ALTER ROLE .. \
                 RESET {setting}, ALTER DATABASE .. RESET {setting}, the server's configuration \
                 or the connection's options) and never SET it for a session"
            ),
            Self::RowLevelSecurityDespiteDeclaration { table } => write!(
                f,
                "table `{table}`: declared without row-level security, but it is enabled, so \
                 statements that name no organization find none of its rows; run ALTER TABLE {} \
                 DISABLE ROW LEVEL SECURITY, or drop the declaration to keep the policies",
                quote(table)
            ),
            Self::DeclaredWithoutRowLevelSecurity { table } => write!(
                f,
                "note: table `{table}` is declared without row-level security: the library's \
                 statements filter by organization, but raw SQL on the app's connections \
                 reads and writes every organization's rows"
            ),
            Self::NotDistributable { table, parent } => write!(
                f,
                "note: inherited table `{table}` has no organization column (it is scoped \
                 through `{parent}`), so it cannot be distributed by organization on Citus; \
                 add a NOT NULL organization column and declare it scoped to make it \
                 distributable"
            ),
        }
    }
}
