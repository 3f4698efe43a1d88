//! A database whose tables a non-superuser owns, with row-level security
//! on, and a few rows of three organizations written through the library.

use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres};
use tenancy_core::{Global, Id, Scope, Scoped, Shared, SystemScope, ddl};

use crate::models::{
    Batch, Ingredient, NewBatch, NewIngredient, NewRecipe, NewRecipeIngredient, NewRole, NewUnit,
    Recipe, Role, Unit, models, org_id, postgres_schema,
};

/// The three pools of one database.
pub(crate) struct Rls {
    /// The superuser: sees everything, for checks around the library.
    pub(crate) admin: PgPool,
    /// The tables' owner, not a superuser: `FORCE` applies to it.
    pub(crate) owner: PgPool,
    /// The application's role: row-level security applies to it.
    pub(crate) app: PgPool,
    /// A login of the system role: work across organizations.
    pub(crate) system: PgPool,
}

/// A fresh database with row-level security on, or `None` when PostgreSQL
/// is not available outside CI.
pub(crate) async fn rls() -> Option<Rls> {
    let cluster = tenancy_tests::pg::cluster()?;
    let admin = cluster.fresh_database().await.unwrap();
    let database: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&admin)
        .await
        .unwrap();
    let owner_role = format!("{database}_owner");
    // `database` is made of digits and underscores only.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE ROLE {owner_role} LOGIN NOSUPERUSER NOBYPASSRLS;
         GRANT USAGE, CREATE ON SCHEMA public TO {owner_role};"
    )))
    .execute(&admin)
    .await
    .unwrap();
    let owner = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(cluster.options(&database).username(&owner_role))
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(postgres_schema()))
        .execute(&owner)
        .await
        .unwrap();
    sqlx::raw_sql(
        "INSERT INTO organizations (id, name)
         SELECT n, 'org ' || n FROM generate_series(104, 110) AS n",
    )
    .execute(&owner)
    .await
    .unwrap();
    let statements = ddl::row_level_security(&models());
    // The first creates the system role, which takes CREATEROLE: the
    // superuser's, once per cluster; the owner runs it again as a no-op.
    sqlx::raw_sql(sqlx::AssertSqlSafe(statements[0].clone()))
        .execute(&admin)
        .await
        .unwrap();
    for statement in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&owner)
            .await
            .unwrap();
    }
    let app = cluster.app_pool(&admin).await.unwrap();
    let system = tenancy_core::pool::options()
        .max_connections(2)
        .connect_with(cluster.system_role(&admin).await.unwrap())
        .await
        .unwrap();
    Some(Rls {
        admin,
        owner,
        app,
        system,
    })
}

pub(crate) fn scope(n: i64) -> Scope {
    Scope::for_job(org_id(n), "row-level security suite")
}

pub(crate) fn system() -> SystemScope {
    SystemScope::new("row-level security suite").expect("a reason")
}

/// What [`seed`] wrote for one organization.
#[derive(Debug)]
pub(crate) struct Seeded {
    pub(crate) recipe: Id<Recipe>,
    pub(crate) ingredient: Id<Ingredient>,
    pub(crate) role: Id<Role>,
}

/// A system role (written by the system login), and for organizations 1
/// and 2 a recipe with a line, an ingredient, a batch and a role of their
/// own, all through the library on the application's pool.
pub(crate) async fn seed(db: &Rls) -> (Id<Role>, [Seeded; 2]) {
    let pool = &db.app;
    let unit = Unit::insert(&system(), NewUnit { name: "g".into() })
        .execute(pool)
        .await
        .unwrap();
    let system_role = Role::insert_system(
        &system(),
        NewRole {
            name: "Owner".into(),
        },
    )
    .execute(&db.system)
    .await
    .unwrap();
    let mut seeded = Vec::new();
    for n in 1..=2 {
        seeded.push(seed_org(pool, n, unit.id).await);
    }
    let [one, two] = <[Seeded; 2]>::try_from(seeded).unwrap();
    (system_role.id, [one, two])
}

async fn seed_org(pool: &PgPool, n: i64, unit: Id<Unit>) -> Seeded {
    let scope = scope(n);
    let recipe = Recipe::insert(
        &scope,
        NewRecipe {
            name: format!("Soap {n}"),
        },
    )
    .execute(pool)
    .await
    .unwrap();
    let ingredient = Ingredient::insert(
        &scope,
        NewIngredient {
            name: format!("Lye {n}"),
            unit_id: unit,
        },
    )
    .execute(pool)
    .await
    .unwrap();
    crate::models::RecipeIngredient::insert(
        &scope,
        NewRecipeIngredient {
            recipe_id: recipe.id,
            ingredient_id: ingredient.id,
            quantity: "1".into(),
        },
    )
    .execute(pool)
    .await
    .unwrap();
    Batch::insert(
        &scope,
        NewBatch {
            recipe_id: recipe.id,
            parent_batch_id: None,
            label: format!("B-{n}"),
        },
    )
    .execute(pool)
    .await
    .unwrap();
    let role = Role::insert(
        &scope,
        NewRole {
            name: format!("Baker {n}"),
        },
    )
    .execute(pool)
    .await
    .unwrap();
    Seeded {
        recipe: recipe.id,
        ingredient: ingredient.id,
        role: role.id,
    }
}

/// The SQLSTATE of a failed statement.
pub(crate) fn sqlstate(error: &sqlx::Error) -> Option<String> {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .map(|code| code.into_owned())
}

/// Counts the rows of `table` that `executor` sees.
pub(crate) async fn count<'e, E>(executor: E, table: &str) -> i64
where
    E: sqlx::Executor<'e, Database = Postgres>,
{
    // `table` is one of the suite's table names.
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(executor)
        .await
        .unwrap()
}
