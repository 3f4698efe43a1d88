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

/// An identifier in double quotes, as both backends read it.
pub(crate) fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}
