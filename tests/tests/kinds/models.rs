//! A slice of BatchTrack with one model of every kind, and its tables on
//! each backend, with the keys `tenancy_core::ddl` writes.

use tenancy_core::{Id, OrgId, Scoped, ddl};

/// Global: units every organization uses.
#[derive(Debug, Clone, PartialEq, Scoped)]
#[tenancy(table = "units", global)]
pub(crate) struct Unit {
    pub(crate) id: Id<Unit>,
    pub(crate) name: String,
}

/// Shared: an organization's roles beside the system roles.
#[derive(Debug, Clone, PartialEq, Scoped)]
#[tenancy(table = "roles", shared)]
pub(crate) struct Role {
    pub(crate) id: Id<Role>,
    pub(crate) organization_id: Option<OrgId>,
    pub(crate) name: String,
}

/// Scoped, with soft delete that cascades to its ingredients.
#[derive(Debug, Clone, PartialEq, Scoped)]
#[tenancy(table = "recipes", soft_delete, cascade(RecipeIngredient))]
pub(crate) struct Recipe {
    pub(crate) id: Id<Recipe>,
    pub(crate) organization_id: OrgId,
    pub(crate) name: String,
    pub(crate) is_active: bool,
}

/// Scoped; its unit is a plain id of a global table.
#[derive(Debug, Clone, PartialEq, Scoped)]
#[tenancy(table = "ingredients")]
pub(crate) struct Ingredient {
    pub(crate) id: Id<Ingredient>,
    pub(crate) organization_id: OrgId,
    pub(crate) name: String,
    pub(crate) unit_id: Id<Unit>,
}

/// Inherited: scoped through its recipe; references an ingredient.
#[derive(Debug, Clone, PartialEq, Scoped)]
#[tenancy(table = "recipe_ingredients", parent = Recipe, via = recipe_id, soft_delete)]
pub(crate) struct RecipeIngredient {
    pub(crate) id: Id<RecipeIngredient>,
    pub(crate) recipe_id: Id<Recipe>,
    #[tenancy(references = Ingredient)]
    pub(crate) ingredient_id: Id<Ingredient>,
    pub(crate) quantity: String,
    pub(crate) is_active: bool,
    #[tenancy(cascade_marker)]
    pub(crate) deactivated_with_parent: bool,
}

/// Scoped, with a reference to a recipe and a nullable one to itself.
#[derive(Debug, Clone, PartialEq, Scoped)]
#[tenancy(table = "batches")]
pub(crate) struct Batch {
    pub(crate) id: Id<Batch>,
    pub(crate) organization_id: OrgId,
    #[tenancy(references = Recipe)]
    pub(crate) recipe_id: Id<Recipe>,
    #[tenancy(references = Batch)]
    pub(crate) parent_batch_id: Option<Id<Batch>>,
    pub(crate) label: String,
}

/// A member of an organization; deleting one deactivates its role
/// assignments, restoring it restores exactly those.
#[derive(Debug, Clone, PartialEq, Scoped)]
#[tenancy(table = "members", soft_delete, cascade(RoleAssignment))]
pub(crate) struct Member {
    pub(crate) id: Id<Member>,
    pub(crate) organization_id: OrgId,
    pub(crate) name: String,
    pub(crate) is_active: bool,
}

/// A member's role: of its organization or a system role.
#[derive(Debug, Clone, PartialEq, Scoped)]
#[tenancy(table = "role_assignments", soft_delete = "active")]
pub(crate) struct RoleAssignment {
    pub(crate) id: Id<RoleAssignment>,
    pub(crate) organization_id: OrgId,
    #[tenancy(references = Member)]
    pub(crate) member_id: Id<Member>,
    #[tenancy(references = Role)]
    pub(crate) role_id: Id<Role>,
    pub(crate) active: bool,
    #[tenancy(cascade_marker)]
    pub(crate) deactivated_with_parent: bool,
}

/// The id of organization number `n`; they start at 101, so that they
/// never equal the ids of the rows the tests create.
pub(crate) fn org_id(n: i64) -> OrgId {
    OrgId::new(100 + n)
}

fn clauses<M: tenancy_core::__private::Table>() -> String {
    ddl::foreign_keys::<M>()
        .into_iter()
        .map(|clause| format!(",\n    {clause}"))
        .collect()
}

/// The schema on SQLite: integer primary keys, and the tenant keys of
/// `ddl` beside them.
pub(crate) fn sqlite_schema() -> String {
    let key = |k: String| format!(",\n    {k}");
    format!(
        "CREATE TABLE organizations (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO organizations (id, name) VALUES (101, 'Soapworks'), (102, 'Candle Co'), (103, 'Balm Bros');
CREATE TABLE units (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE roles (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER REFERENCES organizations (id),
    name TEXT NOT NULL
);
CREATE TABLE recipes (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    is_active BOOLEAN NOT NULL{recipe_key}
);
CREATE TABLE ingredients (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units (id){ingredient_key}
);
CREATE TABLE recipe_ingredients (
    id INTEGER PRIMARY KEY,
    recipe_id INTEGER NOT NULL,
    ingredient_id INTEGER NOT NULL,
    quantity TEXT NOT NULL,
    is_active BOOLEAN NOT NULL,
    deactivated_with_parent BOOLEAN NOT NULL{recipe_ingredient_fks}
);
CREATE TABLE batches (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    recipe_id INTEGER NOT NULL,
    parent_batch_id INTEGER,
    label TEXT NOT NULL{batch_key}{batch_fks}
);
CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    is_active BOOLEAN NOT NULL{member_key}
);
CREATE TABLE role_assignments (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    member_id INTEGER NOT NULL,
    role_id INTEGER NOT NULL,
    active BOOLEAN NOT NULL,
    deactivated_with_parent BOOLEAN NOT NULL{assignment_fks}
);",
        recipe_key = key(ddl::tenant_key::<Recipe>()),
        ingredient_key = key(ddl::tenant_key::<Ingredient>()),
        recipe_ingredient_fks = clauses::<RecipeIngredient>(),
        batch_key = key(ddl::tenant_key::<Batch>()),
        batch_fks = clauses::<Batch>(),
        member_key = key(ddl::tenant_key::<Member>()),
        assignment_fks = clauses::<RoleAssignment>(),
    )
}

/// The schema on PostgreSQL: identity keys, and a primary key
/// `(organization_id, id)` on every scoped table, which the composite
/// foreign keys of `ddl` point at.
pub(crate) fn postgres_schema() -> String {
    format!(
        "CREATE TABLE organizations (id BIGINT PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO organizations (id, name) VALUES (101, 'Soapworks'), (102, 'Candle Co'), (103, 'Balm Bros');
CREATE TABLE units (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE roles (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id BIGINT REFERENCES organizations (id),
    name TEXT NOT NULL
);
CREATE TABLE recipes (
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    is_active BOOLEAN NOT NULL,
    PRIMARY KEY (organization_id, id),
    UNIQUE (id)
);
CREATE TABLE ingredients (
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    PRIMARY KEY (organization_id, id),
    UNIQUE (id)
);
CREATE TABLE recipe_ingredients (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipe_id BIGINT NOT NULL,
    ingredient_id BIGINT NOT NULL,
    quantity TEXT NOT NULL,
    is_active BOOLEAN NOT NULL,
    deactivated_with_parent BOOLEAN NOT NULL{recipe_ingredient_fks}
);
CREATE INDEX recipe_ingredients_recipe_id ON recipe_ingredients (recipe_id);
CREATE TABLE batches (
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    recipe_id BIGINT NOT NULL,
    parent_batch_id BIGINT,
    label TEXT NOT NULL,
    PRIMARY KEY (organization_id, id){batch_fks}
);
CREATE TABLE members (
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    is_active BOOLEAN NOT NULL,
    PRIMARY KEY (organization_id, id)
);
CREATE TABLE role_assignments (
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    member_id BIGINT NOT NULL,
    role_id BIGINT NOT NULL,
    active BOOLEAN NOT NULL,
    deactivated_with_parent BOOLEAN NOT NULL,
    PRIMARY KEY (organization_id, id){assignment_fks}
);",
        recipe_ingredient_fks = clauses::<RecipeIngredient>(),
        batch_fks = clauses::<Batch>(),
        assignment_fks = clauses::<RoleAssignment>(),
    )
}

/// A fresh SQLite database with the schema.
pub(crate) async fn sqlite_db() -> Option<tenancy_tests::TestDb<sqlx::Sqlite>> {
    Some(tenancy_tests::sqlite_with(&sqlite_schema()).await)
}

/// A fresh PostgreSQL database with the schema, or `None` when PostgreSQL
/// is not available outside CI.
pub(crate) async fn postgres_db() -> Option<tenancy_tests::TestDb<sqlx::Postgres>> {
    tenancy_tests::postgres_with(&postgres_schema()).await
}

/// Every model of the slice, parents first.
pub(crate) fn models() -> ddl::Models {
    ddl::Models::new()
        .with::<Unit>()
        .with::<Role>()
        .with::<Recipe>()
        .with::<Ingredient>()
        .with::<RecipeIngredient>()
        .with::<Batch>()
        .with::<Member>()
        .with::<RoleAssignment>()
}

/// A fresh PostgreSQL database with the schema and row-level security on
/// every tenant table, used through a role the policies apply to; `None`
/// when PostgreSQL is not available outside CI.
pub(crate) async fn postgres_rls_db() -> Option<tenancy_tests::TestDb<sqlx::Postgres>> {
    tenancy_tests::postgres_with_rls(&postgres_schema(), &ddl::row_level_security(&models())).await
}
