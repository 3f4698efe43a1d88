//! PostgreSQL row-level security written from the models: the second wall.
//!
//! Every statement the library writes already names its organization, but
//! a raw query, a forgotten join or a future bug would not. With these
//! policies the database itself hides other organizations' rows and
//! refuses writes of them, keyed on a setting that the library sets for the
//! transaction only (see [`Scope::begin`](crate::Scope::begin)); with no
//! setting, a table shows nothing and accepts nothing.
//!
//! The policies read the setting as
//! `(SELECT NULLIF(current_setting('tenancy.org_id', true), '')::bigint)`:
//! a missing setting and the empty value PostgreSQL leaves behind after a
//! transaction-local one are both null, so they match no row rather than
//! failing the statement, and the sub-select makes the planner evaluate the
//! setting once per statement, not once per row. `FORCE` makes the policies
//! apply to the table's owner too; superusers and roles with `BYPASSRLS`
//! still bypass them, which the audit reports.
//!
//! Work across organizations (a [`SystemScope`](crate::SystemScope)) is not
//! a setting: anything the app's role can set, raw SQL on its connections
//! can set too. It is a database role of its own ([`SYSTEM_ROLE`] unless
//! [`Models::with_system_role`] names another), with a policy `TO` that
//! role on every table; a login role that is a member of it connects the
//! pool that [`SystemScope::begin`](crate::SystemScope::begin) runs on, and
//! the app's role is not a member (the audit checks).

use super::{Models, quote};
use crate::model::{Kind, ModelInfo};

/// The transaction-local setting that names the organization a
/// transaction acts for.
pub const ORG_SETTING: &str = "tenancy.org_id";

/// The database role whose members work across organizations, unless
/// [`Models::with_system_role`] names another: a group role (`NOLOGIN`)
/// that [`row_level_security`] creates when it is missing.
pub const SYSTEM_ROLE: &str = "tenancy_system";

/// The organization of the transaction, evaluated once per statement.
fn tenant() -> String {
    format!("(SELECT NULLIF(current_setting('{ORG_SETTING}', true), '')::bigint)")
}

/// The statements that turn row-level security on for every scoped, shared
/// and inherited model, in order; global models have no policy (every
/// organization reads them, and the library writes them only for a
/// [`SystemScope`](crate::SystemScope)).
///
/// Each table gets `ENABLE` and `FORCE ROW LEVEL SECURITY` and:
/// - scoped: one policy, `organization_id = <tenant>`, for reads
///   (`USING`) and writes (`WITH CHECK`);
/// - shared: reads also see system rows (`organization_id IS NULL`) when
///   an organization is named; an organization inserts, updates to and
///   deletes only its own rows;
/// - inherited: `EXISTS` a parent row the organization can read, through
///   the parent's own predicate;
/// - every one of them: a `tenancy_system` policy `TO` the system role
///   ([`SYSTEM_ROLE`]) that lets its members through: the one bypass, which
///   no setting turns on.
///
/// The system role is created first when it does not exist (the
/// statements then need a role with `CREATEROLE`). Give the login of
/// cross-organization work membership of it and the app role's grants
/// (`CREATE ROLE reports LOGIN IN ROLE tenancy_system`, then the same
/// `GRANT`s), never the app's role itself.
///
/// On a shared table a trigger also refuses an organization's update of a
/// system row (a policy cannot: see `SYSTEM_ROWS_TRIGGER` in the source).
/// Tables of a library ([`Models::with_library_schema`]: `tenancy-access`'s
/// memberships, roles, role assignments..) are left out even when their
/// models are listed: their rules read them before any organization is
/// named.
///
/// A partitioned table's policies hold statements on the table only, not
/// those that name one of its partitions, so a `DO` block after each
/// table's statements gives every partition that exists when it runs (at
/// every depth) the same `ENABLE`, `FORCE` and policies; on a table that
/// is not partitioned it does nothing. Run the statements again after
/// creating or attaching a partition (the audit reports one without them).
///
/// The statements drop the policies they create first, so running them
/// again (after adding a model or a partition) replaces them. Run them as
/// the tables' owner, in a migration, on PostgreSQL only.
///
/// ```
/// use tenancy_core::{Id, OrgId, Scoped, ddl};
///
/// #[derive(Scoped)]
/// #[tenancy(table = "recipes")]
/// struct Recipe {
///     id: Id<Recipe>,
///     organization_id: OrgId,
/// }
///
/// let statements = ddl::row_level_security(&ddl::Models::new().with::<Recipe>());
/// assert!(statements.contains(&r#"ALTER TABLE "recipes" FORCE ROW LEVEL SECURITY"#.to_owned()));
/// // The partitions of `recipes`, whichever exist when it runs.
/// let partitions = statements.last().unwrap();
/// assert!(partitions.starts_with("DO $tenancy$"));
/// assert!(partitions.contains(r#"pg_partition_tree('"recipes"'::regclass)"#));
/// ```
#[must_use]
pub fn row_level_security(models: &Models) -> Vec<String> {
    let role = models.system_role();
    let mut statements = vec![create_role(role)];
    let system_rows = system_rows_function(role);
    for model in models.iter().filter(|model| {
        !models.is_library_table(model.table) && !model.is_without_row_level_security()
    }) {
        let table = quote(model.table);
        let policies = policies(model, &table, role);
        if policies.is_empty() {
            continue;
        }
        statements.extend(secure(&table, &policies));
        statements.push(partitions(model, &table, role));
        if let Kind::Shared { org_column } = model.kind {
            // One function serves every shared table.
            if !statements.contains(&system_rows) {
                statements.push(system_rows.clone());
            }
            statements.push(format!(
                "DROP TRIGGER IF EXISTS {SYSTEM_ROWS_TRIGGER} ON {table}"
            ));
            statements.push(format!(
                "CREATE TRIGGER {SYSTEM_ROWS_TRIGGER} BEFORE UPDATE ON {table} FOR EACH ROW \
                 EXECUTE FUNCTION {SYSTEM_ROWS_TRIGGER}({})",
                literal(org_column)
            ));
        }
    }
    statements
}

/// Creates the system role unless it exists. Concurrent runs (two
/// databases of one cluster migrated at once) may both find it missing:
/// the loser's `CREATE ROLE` fails and is ignored.
fn create_role(role: &str) -> String {
    format!(
        "DO $tenancy$\nBEGIN\n    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {}) THEN\n\
         \x20       CREATE ROLE {} NOLOGIN;\n    END IF;\nEXCEPTION WHEN duplicate_object OR unique_violation THEN\n\
         \x20   NULL;\nEND\n$tenancy$",
        literal(role),
        quote(role)
    )
}

/// The statements that hold `table` (quoted) to `policies`: `ENABLE` and
/// `FORCE`, every policy this module writes dropped, then `policies`.
fn secure(table: &str, policies: &[Policy]) -> Vec<String> {
    let mut statements = vec![
        format!("ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"),
        format!("ALTER TABLE {table} FORCE ROW LEVEL SECURITY"),
    ];
    for name in POLICY_NAMES {
        statements.push(format!("DROP POLICY IF EXISTS {name} ON {table}"));
    }
    for Policy {
        name,
        command,
        to,
        using,
        check,
    } in policies
    {
        let mut statement = format!("CREATE POLICY {name} ON {table} FOR {command}");
        if let Some(to) = to {
            statement.push_str(&format!(" TO {to}"));
        }
        if let Some(using) = using {
            statement.push_str(&format!(" USING ({using})"));
        }
        if let Some(check) = check {
            statement.push_str(&format!(" WITH CHECK ({check})"));
        }
        statements.push(statement);
    }
    statements
}

/// Stands for the partition in the statements of [`partitions`], until
/// they become `format` strings; no identifier holds it.
const PARTITION: &str = "\u{1}partition\u{1}";

/// A block that holds every partition of `model`'s table (`table`,
/// quoted), at every depth, to the table's own policies, and does nothing
/// to a table that is not partitioned.
///
/// The parent's policies hold statements on the parent only: a statement
/// that names a partition gets the partition's row-level security, and
/// the documented grants (`ON ALL TABLES IN SCHEMA`) reach partitions too.
/// A partition gets the same policies, each predicate naming the
/// partition, rather than no privileges: the grants after each migration
/// would give them back, and statements on the parent never evaluate a
/// partition's policies, so they cost the library's statements nothing.
/// The block walks `pg_partition_tree` when it runs: a partition created
/// later is held once the statements run again, and the audit reports it
/// until then.
fn partitions(model: &ModelInfo, table: &str, role: &str) -> String {
    let policies = policies(model, PARTITION, role);
    let executes: String = secure(PARTITION, &policies)
        .iter()
        .map(|statement| {
            // `%` is `format`'s; the partition is its one argument.
            let template = statement.replace('%', "%%").replace(PARTITION, "%1$s");
            format!("        EXECUTE format({}, part);\n", literal(&template))
        })
        .collect();
    let root = format!("{}::regclass", literal(table));
    format!(
        "DO $tenancy$\nDECLARE\n    part regclass;\nBEGIN\n    FOR part IN \
         SELECT relid FROM pg_catalog.pg_partition_tree({root}) WHERE relid <> {root}\n    LOOP\n\
         {executes}    END LOOP;\nEND\n$tenancy$"
    )
}

/// The trigger (and its function) that keeps an organization from writing
/// a shared table's system rows. The update policy cannot: it must let an
/// organization's statements see system rows (a reference check locks the
/// row it names `FOR SHARE`, which takes the update policy), and `WITH
/// CHECK` sees only the new row, so `SET organization_id = <own>` would
/// claim a system row for one organization and take it from every other.
const SYSTEM_ROWS_TRIGGER: &str = "tenancy_system_rows";

/// The function of [`SYSTEM_ROWS_TRIGGER`]: members of the system `role`
/// may write system rows, nobody else.
fn system_rows_function(role: &str) -> String {
    format!(
        "CREATE OR REPLACE FUNCTION tenancy_system_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF to_jsonb(OLD) -> TG_ARGV[0] = 'null'::jsonb
        AND NOT pg_catalog.pg_has_role(current_user, {}, 'USAGE') THEN
        RAISE EXCEPTION 'a system row of % is written only for a SystemScope', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$",
        literal(role)
    )
}

/// A SQL string literal of one of the library's identifiers.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Every policy name this module writes, so that a rerun drops them all
/// whatever the table's kind was before.
pub(crate) const POLICY_NAMES: [&str; 6] = [
    "tenancy_org",
    "tenancy_org_read",
    "tenancy_org_insert",
    "tenancy_org_update",
    "tenancy_org_delete",
    "tenancy_system",
];

struct Policy {
    name: &'static str,
    command: &'static str,
    /// The role it applies to (quoted); every role when `None`.
    to: Option<String>,
    using: Option<String>,
    check: Option<String>,
}

impl Policy {
    fn new(name: &'static str, command: &'static str) -> Self {
        Self {
            name,
            command,
            to: None,
            using: None,
            check: None,
        }
    }

    fn to(mut self, role: &str) -> Self {
        self.to = Some(quote(role));
        self
    }

    fn using(mut self, predicate: &str) -> Self {
        self.using = Some(predicate.to_owned());
        self
    }

    fn check(mut self, predicate: &str) -> Self {
        self.check = Some(predicate.to_owned());
        self
    }
}

/// The policies of `model`, their predicates naming the table as
/// `qualifier`: the table's quoted name, or a partition's.
fn policies(model: &ModelInfo, qualifier: &str, role: &str) -> Vec<Policy> {
    let bypass = Policy::new("tenancy_system", "ALL")
        .to(role)
        .using("TRUE")
        .check("TRUE");
    let table = qualifier;
    match model.kind {
        Kind::Global => Vec::new(),
        Kind::Scoped { .. } | Kind::Inherited { .. } => {
            let own = readable(model, table, 1);
            vec![
                Policy::new("tenancy_org", "ALL").using(&own).check(&own),
                bypass,
            ]
        }
        Kind::Shared { org_column } => {
            let own = format!("{table}.{} = {}", quote(org_column), tenant());
            let readable = readable(model, table, 1);
            vec![
                Policy::new("tenancy_org_read", "SELECT").using(&readable),
                Policy::new("tenancy_org_insert", "INSERT").check(&own),
                // Updates see what reads see, so that a statement locking a
                // system row `FOR SHARE` (a reference check) finds it; the
                // check then refuses to write one.
                Policy::new("tenancy_org_update", "UPDATE")
                    .using(&readable)
                    .check(&own),
                Policy::new("tenancy_org_delete", "DELETE").using(&own),
                bypass,
            ]
        }
    }
}

/// The rows of `model` (named `qualifier`) that the transaction's
/// organization may read: the predicate the library's own reads carry,
/// with the setting in place of the bound organization.
fn readable(model: &ModelInfo, qualifier: &str, depth: usize) -> String {
    match model.kind {
        Kind::Scoped { org_column } => format!("{qualifier}.{} = {}", quote(org_column), tenant()),
        Kind::Shared { org_column } => {
            // System rows are every organization's to read, but nobody's
            // when no organization is named.
            let column = format!("{qualifier}.{}", quote(org_column));
            let tenant = tenant();
            format!("({column} = {tenant} OR ({column} IS NULL AND {tenant} IS NOT NULL))")
        }
        Kind::Inherited { parent, via_column } => {
            let parent = parent();
            let alias = format!("tenancy_{depth}");
            format!(
                "EXISTS (SELECT 1 FROM {} AS {alias} WHERE {alias}.{} = {qualifier}.{} AND {})",
                quote(parent.table),
                quote(parent.id_column),
                quote(via_column),
                readable(parent, &alias, depth + 1)
            )
        }
        // A global parent has no organization: nothing of it is the
        // organization's (the derive refuses one).
        Kind::Global => "FALSE".to_owned(),
    }
}

#[cfg(all(test, feature = "derive"))]
mod tests {
    #![allow(dead_code)]

    use super::*;
    use crate::{Id, OrgId, Scoped};

    #[derive(Scoped)]
    #[tenancy(table = "recipes", crate = "crate")]
    struct Recipe {
        id: Id<Recipe>,
        organization_id: OrgId,
    }

    /// The block runs, for each partition, every statement of the table
    /// itself, naming the partition where the table's statements name the
    /// table: in the predicates too, or a partition's policy would read
    /// the parent's columns.
    #[test]
    fn partitions_get_the_statements_of_their_table() {
        let statements = row_level_security(&Models::new().with::<Recipe>());
        let (block, own) = statements.split_last().unwrap();
        // The system role comes first.
        let own = &own[1..];
        assert_eq!(own.len(), 10, "{own:#?}");
        let executes: Vec<&str> = block
            .lines()
            .filter_map(|line| line.trim().strip_prefix("EXECUTE format('"))
            .filter_map(|line| line.strip_suffix("', part);"))
            .collect();
        let expected: Vec<String> = own
            .iter()
            .map(|statement| {
                statement
                    .replace('\'', "''")
                    .replace(r#""recipes""#, "%1$s")
            })
            .collect();
        assert_eq!(executes, expected, "{block}");
        assert!(
            block.contains(
                r#"FOR part IN SELECT relid FROM pg_catalog.pg_partition_tree('"recipes"'::regclass) WHERE relid <> '"recipes"'::regclass"#
            ),
            "{block}"
        );
        assert_eq!(block.matches("recipes").count(), 2, "{block}");
    }
}
