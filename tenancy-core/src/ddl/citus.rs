//! The Citus DDL of the declared models: the same schema, spread over
//! several machines.
//!
//! Citus (distributed PostgreSQL) splits a *distributed* table into shards
//! by the hash of one column and sends each statement that names one value
//! of it to the one shard that holds it; a *reference* table is copied to
//! every node. A tenant schema fits that model when every tenant table is
//! distributed by its organization column, in one co-location group (so
//! that one organization's rows of every table live on the same node and
//! joins and composite foreign keys between them stay on it), and tables
//! without organizations are reference tables. What routes a statement to
//! one shard is the organization it names, `organization_id = $n`, as each
//! statement the library writes does; row-level security alone would not.
//!
//! What Citus needs of the schema, and the library's DDL already gives:
//! every primary key, unique key and foreign key between tenant tables
//! includes the organization column ([`tenant_key`](super::tenant_key),
//! [`foreign_keys`](super::foreign_keys)).
//!
//! What it cannot take, and [`citus()`] says in `-- ` comment lines:
//! - a *shared* table (nullable organization column, null for system rows)
//!   cannot be distributed by a column that may be null: it becomes a
//!   reference table, and every node holds every organization's rows of it
//!   (row-level security still hides other organizations' rows);
//! - an *inherited* table has no organization column to distribute by: it
//!   needs one (`organization_id`, with composite keys) before it can be
//!   distributed;
//! - a foreign key from a reference table to a distributed table.
//!
//! The row-level security policies read a transaction-local setting
//! ([`ORG_SETTING`](super::ORG_SETTING)), which the library names with
//! `SET LOCAL`: in the message that begins each scoped transaction, and
//! in the function a lone statement is called through. The policies run
//! where the shards are, on the workers, and Citus forwards `SET LOCAL` to
//! the workers a transaction uses when `citus.propagate_set_commands` is
//! `local` (it forwards nothing by default): the first statement sets that
//! for the application's role, so the workers' policies see the
//! organization the coordinator does. (Citus is not packaged where this
//! crate is tested: that Citus forwards a `SET LOCAL` run inside a
//! function as it forwards one sent by the client is read from its
//! sources, not measured.)

use super::{Models, quote};
use crate::model::{Kind, ModelInfo};

/// The statements that distribute the models' tables on Citus, in the
/// order Citus needs them, with `-- ` comment lines for what it cannot
/// distribute. Run them once, on the coordinator, after the tables exist.
///
/// 1. `ALTER ROLE <app_role> SET citus.propagate_set_commands = 'local'`:
///    the transaction-local tenant setting reaches the workers;
/// 2. `SELECT create_reference_table('<table>')` for every global and
///    shared table (a comment line before each shared one says why it is
///    not distributed), first, since distributed tables hold foreign keys
///    to them;
/// 3. a comment line for each inherited table, which cannot be
///    distributed until it has an organization column, and whose foreign
///    key to its parent Citus refuses once the parent is distributed;
/// 4. `SELECT create_distributed_table('<table>', '<org column>',
///    colocate_with => ..)` for every scoped table: the first in a new
///    co-location group (`'none'`), the others in its group, each after
///    the tables it references.
///
/// Identifiers are quoted: the role, and the table names inside the
/// literals (which Citus reads as names); the distribution column is a
/// plain column name, as Citus expects it.
///
/// ```
/// use tenancy_core::{Id, OrgId, Scoped, ddl};
///
/// #[derive(Scoped)]
/// #[tenancy(table = "units", global)]
/// struct Unit {
///     id: Id<Unit>,
///     name: String,
/// }
///
/// #[derive(Scoped)]
/// #[tenancy(table = "roles", shared)]
/// struct Role {
///     id: Id<Role>,
///     organization_id: Option<OrgId>,
/// }
///
/// #[derive(Scoped)]
/// #[tenancy(table = "recipes")]
/// struct Recipe {
///     id: Id<Recipe>,
///     organization_id: OrgId,
/// }
///
/// #[derive(Scoped)]
/// #[tenancy(table = "recipe_lines", parent = Recipe, via = recipe_id)]
/// struct RecipeLine {
///     id: Id<RecipeLine>,
///     recipe_id: Id<Recipe>,
/// }
///
/// #[derive(Scoped)]
/// #[tenancy(table = "batches")]
/// struct Batch {
///     id: Id<Batch>,
///     organization_id: OrgId,
///     #[tenancy(references = Recipe)]
///     recipe_id: Id<Recipe>,
/// }
///
/// let models = ddl::Models::new()
///     .with::<Unit>()
///     .with::<Role>()
///     .with::<Recipe>()
///     .with::<RecipeLine>()
///     .with::<Batch>();
/// assert_eq!(
///     ddl::citus(&models, "batchtrack"),
///     [
///         r#"ALTER ROLE "batchtrack" SET citus.propagate_set_commands = 'local'"#,
///         r#"SELECT create_reference_table('"units"')"#,
///         r#"-- "roles" is shared (its "organization_id" is null for system rows): Citus cannot distribute by a nullable column, so it is a reference table"#,
///         r#"SELECT create_reference_table('"roles"')"#,
///         r#"-- "recipe_lines" is inherited (scoped through "recipes") and cannot be distributed: add an "organization_id" column (and composite keys) to it; until then drop its foreign key on "recipe_id", which Citus refuses to a distributed table"#,
///         r#"SELECT create_distributed_table('"recipes"', 'organization_id', colocate_with => 'none')"#,
///         r#"SELECT create_distributed_table('"batches"', 'organization_id', colocate_with => '"recipes"')"#,
///     ]
/// );
/// ```
#[must_use]
pub fn citus(models: &Models, app_role: &str) -> Vec<String> {
    let mut statements = vec![format!(
        "ALTER ROLE {} SET citus.propagate_set_commands = 'local'",
        quote(app_role)
    )];
    let reference: Vec<&'static ModelInfo> = models
        .iter()
        .filter(|model| matches!(model.kind, Kind::Global | Kind::Shared { .. }))
        .collect();
    let distributed: Vec<&'static ModelInfo> = models
        .iter()
        .filter(|model| matches!(model.kind, Kind::Scoped { .. }))
        .collect();

    for model in referenced_first(&reference) {
        let table = quote(model.table);
        if let Kind::Shared { org_column } = model.kind {
            statements.push(format!(
                "-- {table} is shared (its {} is null for system rows): Citus cannot distribute by \
                 a nullable column, so it is a reference table",
                quote(org_column)
            ));
        }
        for reference in model.references {
            let target = (reference.target)();
            if matches!(target.kind, Kind::Scoped { .. }) {
                statements.push(format!(
                    "-- {table} is a reference table: Citus refuses its foreign key on {} to the \
                     distributed table {}; drop it (the library still checks the reference on \
                     every write)",
                    quote(reference.column),
                    quote(target.table)
                ));
            }
        }
        statements.push(format!(
            "SELECT create_reference_table({})",
            literal(&table)
        ));
    }

    // Before the distributed tables: a local table's foreign key to one
    // makes Citus refuse to distribute it.
    for model in models.iter() {
        if let Kind::Inherited { parent, via_column } = model.kind {
            let parent = parent();
            statements.push(format!(
                "-- {} is inherited (scoped through {}) and cannot be distributed: add an {} \
                 column (and composite keys) to it; until then drop its foreign key on {}, \
                 which Citus refuses to a distributed table",
                quote(model.table),
                quote(parent.table),
                quote(parent.org_column().unwrap_or("organization_id")),
                quote(via_column)
            ));
        }
    }

    // The first distributed table starts the group the others join.
    let mut first: Option<String> = None;
    for model in referenced_first(&distributed) {
        let Kind::Scoped { org_column } = model.kind else {
            continue;
        };
        let table = quote(model.table);
        let colocate_with = first.as_deref().unwrap_or("none");
        statements.push(format!(
            "SELECT create_distributed_table({}, {}, colocate_with => {})",
            literal(&table),
            literal(org_column),
            literal(colocate_with)
        ));
        first.get_or_insert(table);
    }

    statements
}

/// `models` reordered so that each comes after the models of the list it
/// references (Citus distributes a table only once the tables its foreign
/// keys point at are distributed or reference tables); otherwise in
/// declaration order. A cycle of references keeps declaration order.
fn referenced_first(models: &[&'static ModelInfo]) -> Vec<&'static ModelInfo> {
    let mut ordered: Vec<&'static ModelInfo> = Vec::with_capacity(models.len());
    let placed =
        |ordered: &[&'static ModelInfo], m: &ModelInfo| ordered.iter().any(|o| std::ptr::eq(*o, m));
    while ordered.len() < models.len() {
        let ready = models.iter().copied().find(|model| {
            !placed(&ordered, model)
                && model.references.iter().all(|reference| {
                    let target = (reference.target)();
                    std::ptr::eq(target, *model)
                        || placed(&ordered, target)
                        || !models.iter().any(|m| std::ptr::eq(*m, target))
                })
        });
        // A cycle: the first model not yet placed goes next.
        let next = ready.or_else(|| models.iter().copied().find(|m| !placed(&ordered, m)));
        match next {
            Some(model) => ordered.push(model),
            None => break,
        }
    }
    ordered
}

/// A SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Reference, Table};

    macro_rules! model {
        ($name:ident, $info:expr) => {
            struct $name;
            impl Table for $name {
                type New = ();
                const __COLUMNS: &'static [&'static str] = &[];
                fn __id(&self) -> i64 {
                    0
                }
                fn __model() -> &'static ModelInfo {
                    static INFO: ModelInfo = $info;
                    &INFO
                }
            }
        };
    }

    model!(
        Parent,
        ModelInfo::new(
            "Parent's \"table\"",
            &["id", "org"],
            "id",
            Kind::Scoped { org_column: "org" },
            &[],
        )
    );
    model!(
        Child,
        ModelInfo::new(
            "children",
            &["id", "org", "parent_id"],
            "id",
            Kind::Scoped { org_column: "org" },
            &["parent_id"],
        )
        .with_references(&[
            Reference {
                column: "parent_id",
                target: Parent::__model,
                nullable: false,
            },
            Reference {
                column: "sibling_id",
                target: Child::__model,
                nullable: true,
            },
        ])
    );
    model!(
        Pinned,
        ModelInfo::new(
            "pinned",
            &["id", "organization_id", "parent_id"],
            "id",
            Kind::Shared {
                org_column: "organization_id"
            },
            &["parent_id"],
        )
        .with_references(&[Reference {
            column: "parent_id",
            target: Parent::__model,
            nullable: true,
        }])
    );

    #[test]
    fn parents_are_distributed_before_children_declared_first() {
        let models = Models::new().with::<Child>().with::<Parent>();
        let statements = citus(&models, "app's role");
        assert_eq!(
            statements,
            [
                r#"ALTER ROLE "app's role" SET citus.propagate_set_commands = 'local'"#,
                r#"SELECT create_distributed_table('"Parent''s ""table"""', 'org', colocate_with => 'none')"#,
                r#"SELECT create_distributed_table('"children"', 'org', colocate_with => '"Parent''s ""table"""')"#,
            ]
        );
    }

    #[test]
    fn a_reference_table_cannot_keep_a_key_to_a_distributed_table() {
        let models = Models::new().with::<Parent>().with::<Pinned>();
        let statements = citus(&models, "app");
        assert_eq!(
            statements[1..],
            [
                r#"-- "pinned" is shared (its "organization_id" is null for system rows): Citus cannot distribute by a nullable column, so it is a reference table"#,
                r#"-- "pinned" is a reference table: Citus refuses its foreign key on "parent_id" to the distributed table "Parent's ""table"""; drop it (the library still checks the reference on every write)"#,
                r#"SELECT create_reference_table('"pinned"')"#,
                r#"SELECT create_distributed_table('"Parent''s ""table"""', 'org', colocate_with => 'none')"#,
            ]
        );
    }

    #[test]
    fn no_models_only_set_the_role() {
        assert_eq!(citus(&Models::new(), "app").len(), 1);
    }
}
