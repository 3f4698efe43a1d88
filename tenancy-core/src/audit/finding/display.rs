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
            Self::TenantSettingOutsideTransactions { setting, value } => write!(
                f,
                "`{setting}` is `{value}` outside any transaction on the app's connection, so \
                 statements act with it without naming it; remove the default (ALTER ROLE .. \
                 RESET {setting}, ALTER DATABASE .. RESET {setting}, the server's configuration \
                 or the connection's options) and never SET it for a session"
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
