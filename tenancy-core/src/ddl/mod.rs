//! Schema fragments that make the database enforce what the models declare.
//!
//! The library checks references on every write, but the database should
//! refuse a cross-tenant reference too, whatever code wrote it: a composite
//! foreign key `(organization_id, recipe_id) REFERENCES recipes
//! (organization_id, id)` cannot point at another organization's recipe.
//! It needs `UNIQUE (organization_id, id)` on the referenced table (a
//! primary key `(organization_id, id)` serves). These functions write both
//! clauses from the models, in SQL that SQLite and PostgreSQL accept inside
//! `CREATE TABLE` or after `ALTER TABLE .. ADD`.
//!
//! ```
//! use tenancy_core::{Id, OrgId, Scoped, ddl};
//!
//! #[derive(Scoped)]
//! #[tenancy(table = "recipes")]
//! struct Recipe {
//!     id: Id<Recipe>,
//!     organization_id: OrgId,
//! }
//!
//! #[derive(Scoped)]
//! #[tenancy(table = "batches")]
//! struct Batch {
//!     id: Id<Batch>,
//!     organization_id: OrgId,
//!     #[tenancy(references = Recipe)]
//!     recipe_id: Id<Recipe>,
//! }
//!
//! assert_eq!(ddl::tenant_key::<Recipe>(), r#"UNIQUE ("organization_id", "id")"#);
//! assert_eq!(
//!     ddl::foreign_keys::<Batch>(),
//!     [r#"FOREIGN KEY ("organization_id", "recipe_id") REFERENCES "recipes" ("organization_id", "id")"#]
//! );
//! ```

mod citus;
mod rls;

pub use citus::citus;
pub use rls::{ORG_SETTING, SYSTEM_ROLE, row_level_security};

use crate::model::{Kind, ModelInfo, OrgOwned, Table};

/// The models of an application, listed once for what looks at the schema
/// as a whole: [row-level security](row_level_security), the
/// [Citus DDL](citus()) and the audit.
///
/// ```
/// use tenancy_core::{Id, OrgId, Scoped, ddl::Models};
///
/// #[derive(Scoped)]
/// #[tenancy(table = "recipes")]
/// struct Recipe {
///     id: Id<Recipe>,
///     organization_id: OrgId,
/// }
///
/// let models = Models::new().with::<Recipe>();
/// assert_eq!(models.tables().collect::<Vec<_>>(), ["recipes"]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Models {
    models: Vec<&'static ModelInfo>,
    system_role: Option<String>,
    library_tables: Vec<String>,
}

impl Models {
    /// No models yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `M` (once, however often it is named), keeping the order of
    /// declaration: parents before the children that reference them.
    #[must_use]
    pub fn with<M: Table>(mut self) -> Self {
        let model = M::__model();
        if !self.models.iter().any(|known| std::ptr::eq(*known, model)) {
            self.models.push(model);
        }
        self
    }

    /// Names the database role of work across organizations, in place of
    /// [`SYSTEM_ROLE`]: one per application when several share a cluster.
    ///
    /// ```
    /// use tenancy_core::ddl::Models;
    ///
    /// assert_eq!(Models::new().with_system_role("shop_system")?.system_role(), "shop_system");
    /// assert!(Models::new().with_system_role("x$$; DROP TABLE t; --").is_err());
    /// # Ok::<(), tenancy_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`](crate::Error::Invalid) (field `system_role`)
    /// unless the name is 1 to 63 ASCII letters, digits and underscores:
    /// the statements quote it, and also write it inside the bodies of
    /// functions and `DO` blocks, where only such a name is safe as it is.
    pub fn with_system_role(mut self, role: &str) -> crate::Result<Self> {
        let plain = role.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if role.is_empty() || role.len() > 63 || !plain {
            return Err(crate::Error::invalid(
                "system_role",
                "a system role is named with 1 to 63 ASCII letters, digits and underscores",
            ));
        }
        self.system_role = Some(role.to_owned());
        Ok(self)
    }

    /// Declares the tables that a library's migrations create (`sql`, the
    /// migrations themselves: every `CREATE TABLE` in it counts) as the
    /// library's, not the app's: the audit does not report them as
    /// undeclared, and [`row_level_security`] writes no policy for them even
    /// when one of their models is listed, since the library's own rules
    /// read them before any organization is named. `tenancy-access`
    /// declares its tables this way.
    ///
    /// ```
    /// use tenancy_core::ddl::Models;
    ///
    /// let models = Models::new().with_library_schema("CREATE TABLE sessions (id INTEGER PRIMARY KEY);");
    /// assert_eq!(models.library_tables().collect::<Vec<_>>(), ["sessions"]);
    /// ```
    #[must_use]
    pub fn with_library_schema(mut self, sql: &str) -> Self {
        for table in created_tables(sql) {
            if !self.library_tables.contains(&table) {
                self.library_tables.push(table);
            }
        }
        self
    }

    /// The tables declared with [`with_library_schema`](Self::with_library_schema).
    pub fn library_tables(&self) -> impl Iterator<Item = &str> + '_ {
        self.library_tables.iter().map(String::as_str)
    }

    /// Whether `table` is one of a library's.
    pub(crate) fn is_library_table(&self, table: &str) -> bool {
        self.library_tables.iter().any(|known| known == table)
    }

    /// Declares that the tables of these models have no row-level
    /// security, so that no statement needs to name its organization to
    /// the database: on PostgreSQL, a lone operation on them is then one
    /// plain statement in autocommit, as sqlx by hand would send it,
    /// rather than a call that names the organization.
    ///
    /// The choice gives up the second wall: the organization filter every
    /// statement of the library carries stays, but raw SQL on the app's
    /// connections, and any statement written by hand, reads and writes
    /// every organization's rows, with nothing in the database to stop it.
    /// Make it for all the app's models at once, at start-up, before any
    /// operation runs; it lasts as long as the process and cannot be taken
    /// back. All or none: a declared model's statement that reads an
    /// undeclared table with policies (a reference check, a parent, a
    /// join's children) names no organization and finds nothing there.
    ///
    /// From then on [`row_level_security`] writes nothing for these
    /// models, and the [audit](crate::audit) reports each of their tables
    /// with a note ([`Finding::DeclaredWithoutRowLevelSecurity`](crate::audit::Finding::DeclaredWithoutRowLevelSecurity))
    /// rather than the missing policies, and as a defect
    /// ([`Finding::RowLevelSecurityDespiteDeclaration`](crate::audit::Finding::RowLevelSecurityDespiteDeclaration))
    /// any that does have row-level security enabled: statements that
    /// name no organization would find none of its rows.
    ///
    /// On SQLite, which has no row-level security, it changes nothing but
    /// the audit's notes.
    ///
    /// ```
    /// use tenancy_core::{Id, OrgId, Scoped, ddl::{self, Models}};
    ///
    /// #[derive(Scoped)]
    /// #[tenancy(table = "notes")]
    /// struct Note {
    ///     id: Id<Note>,
    ///     organization_id: OrgId,
    ///     text: String,
    /// }
    ///
    /// let models = Models::new().with::<Note>();
    /// models.declare_without_row_level_security();
    /// // No policy to write: only the statement that creates the system role.
    /// assert_eq!(ddl::row_level_security(&models).len(), 1);
    /// ```
    pub fn declare_without_row_level_security(&self) {
        for model in &self.models {
            model
                .without_row_level_security
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// The database role of work across organizations.
    #[must_use]
    pub fn system_role(&self) -> &str {
        self.system_role.as_deref().unwrap_or(SYSTEM_ROLE)
    }

    /// The tables of the models, in declaration order.
    pub fn tables(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.models.iter().map(|model| model.table)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &'static ModelInfo> + '_ {
        self.models.iter().copied()
    }
}

/// `UNIQUE ("organization_id", "id")`: the key composite foreign keys into
/// this table point at.
#[must_use]
pub fn tenant_key<M: OrgOwned>() -> String {
    let model = M::__model();
    let org = model.org_column().unwrap_or("organization_id");
    format!(r#"UNIQUE ({}, {})"#, quote(org), quote(model.id_column))
}

/// A `FOREIGN KEY` clause for each checked reference of `M` (and, for an
/// inherited table, its parent).
///
/// Between two tables with organization columns the key is composite, so
/// the database itself refuses a reference to another organization's row.
/// A reference from an inherited table, or to a shared or inherited one,
/// cannot be: it is a plain foreign key, and the library's checks are the
/// wall.
#[must_use]
pub fn foreign_keys<M: Table>() -> Vec<String> {
    let model = M::__model();
    model
        .references
        .iter()
        .map(|reference| foreign_key(model, reference.column, (reference.target)()))
        .collect()
}

fn foreign_key(model: &ModelInfo, column: &str, target: &ModelInfo) -> String {
    match (model.kind, target.kind) {
        (
            Kind::Scoped { org_column },
            Kind::Scoped {
                org_column: target_org,
            },
        ) => format!(
            "FOREIGN KEY ({}, {}) REFERENCES {} ({}, {})",
            quote(org_column),
            quote(column),
            quote(target.table),
            quote(target_org),
            quote(target.id_column)
        ),
        _ => format!(
            "FOREIGN KEY ({}) REFERENCES {} ({})",
            quote(column),
            quote(target.table),
            quote(target.id_column)
        ),
    }
}

/// The tables that `CREATE TABLE` statements of `sql` create, comments
/// aside.
fn created_tables(sql: &str) -> Vec<String> {
    let code: String = sql
        .lines()
        .map(|line| line.split_once("--").map_or(line, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n")
        .replace('(', " ( ")
        .replace(';', " ; ");
    let words: Vec<&str> = code.split_whitespace().collect();
    let mut tables = Vec::new();
    for (at, pair) in words.windows(2).enumerate() {
        if !(pair[0].eq_ignore_ascii_case("CREATE") && pair[1].eq_ignore_ascii_case("TABLE")) {
            continue;
        }
        let mut name = at + 2;
        let if_not_exists = ["IF", "NOT", "EXISTS"];
        if words.get(name..name + 3).is_some_and(|w| {
            w.iter()
                .zip(if_not_exists)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
        }) {
            name += 3;
        }
        if let Some(name) = words.get(name) {
            tables.push(name.trim_matches('"').to_owned());
        }
    }
    tables
}

/// An identifier in double quotes, as both backends read it.
pub(crate) fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_tables_reads_create_table_statements_only() {
        let sql = "-- CREATE TABLE commented (id INT);\n\
                   CREATE TABLE IF NOT EXISTS \"quoted\"(id INT);\n\
                   create table lower (id INT); CREATE INDEX x ON lower (id);\n\
                   INSERT INTO lower (id) VALUES (1);";
        assert_eq!(created_tables(sql), ["quoted", "lower"]);
    }

    #[test]
    fn library_tables_are_declared_once() {
        let models = Models::new()
            .with_library_schema("CREATE TABLE a (id INT); CREATE TABLE b (id INT);")
            .with_library_schema("CREATE TABLE a (id INT);");
        assert_eq!(models.library_tables().collect::<Vec<_>>(), ["a", "b"]);
        assert!(models.is_library_table("b"));
        assert!(!models.is_library_table("c"));
    }
}
