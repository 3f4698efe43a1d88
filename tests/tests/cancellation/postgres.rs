//! The schedule on PostgreSQL with row-level security: a pool of two
//! connections as a role the policies apply to, and the superuser's pool,
//! which sees each connection's state from outside and counts what
//! committed.

use sqlx::pool::PoolConnection;
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres};
use tenancy_core::{Id, Scope, SystemScope, ddl};

use crate::models::{Ingredient, Recipe, models, postgres_schema};

#[path = "operations.rs"]
mod operations;
#[path = "sweep.rs"]
mod sweep;

pub(crate) use sweep::Report;
use sweep::{Probe, sweep};

pub(crate) type Db = Postgres;

/// The database and rows every operation works on.
pub(crate) struct Fixture {
    pub(crate) pool: PgPool,
    /// A login of the system role, for work across organizations.
    pub(crate) system_pool: PgPool,
    pub(crate) scope: Scope,
    pub(crate) system: SystemScope,
    pub(crate) recipe: Id<Recipe>,
    pub(crate) ingredient: Id<Ingredient>,
    admin: PgPool,
}

/// Runs the schedule on a pool built the library's way, or a plain one;
/// `None` when PostgreSQL is not available outside CI.
pub(crate) async fn run(library_pool: bool) -> Option<Report> {
    let cluster = tenancy_tests::pg::cluster()?;
    let admin = cluster.fresh_database().await.unwrap();
    let schema = format!(
        "{}\nCREATE TABLE cancellation_writes (n BIGINT NOT NULL);",
        postgres_schema()
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(schema))
        .execute(&admin)
        .await
        .unwrap();
    for policy in ddl::row_level_security(&models()) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(policy))
            .execute(&admin)
            .await
            .unwrap();
    }
    let options = cluster.app_role(&admin).await.unwrap();
    let system_options = cluster.system_role(&admin).await.unwrap();
    let base = || {
        if library_pool {
            tenancy_core::pool::options()
        } else {
            PgPoolOptions::new()
        }
    };
    let pool = base()
        .max_connections(2)
        .connect_with(options)
        .await
        .unwrap();
    let system_pool = base()
        .max_connections(2)
        .connect_with(system_options)
        .await
        .unwrap();
    let (scope, system, recipe, ingredient) = operations::seed(&pool).await;
    let fx = Fixture {
        pool,
        system_pool,
        scope,
        system,
        recipe,
        ingredient,
        admin,
    };
    Some(sweep(&fx).await)
}

/// What the connection shows of itself (its settings, the rows it sees
/// with no organization named), and what the server says of its state.
async fn probe(fx: &Fixture, connection: &mut PoolConnection<Postgres>) -> Probe {
    let own: Result<(i32, Option<String>, i64), _> = sqlx::query_as(
        "SELECT pg_backend_pid(),
                coalesce(nullif(current_setting('tenancy.org_id', true), ''),
                         nullif(current_setting('tenancy.system', true), '')),
                (SELECT count(*) FROM recipes) + (SELECT count(*) FROM ingredients)
                    + (SELECT count(*) FROM recipe_ingredients)",
    )
    .fetch_one(&mut **connection)
    .await;
    let Ok((pid, setting, visible)) = own else {
        // A failed transaction answers nothing but its failure.
        return Probe {
            in_transaction: true,
            ..Probe::default()
        };
    };
    let state: Option<String> =
        sqlx::query_scalar("SELECT state FROM pg_stat_activity WHERE pid = $1")
            .bind(pid)
            .fetch_optional(&fx.admin)
            .await
            .unwrap();
    Probe {
        in_transaction: state.is_some_and(|state| state.starts_with("idle in transaction")),
        setting,
        visible_rows: u64::try_from(visible).unwrap(),
    }
}

async fn write_marker(connection: &mut PoolConnection<Postgres>, n: u64) {
    let n = i64::try_from(n).unwrap();
    // Outside a transaction this commits at once; inside a leaked one it
    // waits for a commit that never comes.
    let _ = sqlx::query("INSERT INTO cancellation_writes (n) VALUES ($1)")
        .bind(n)
        .execute(&mut **connection)
        .await;
}

/// Counted by the superuser, who sees committed rows only.
async fn committed_writes(fx: &Fixture) -> u64 {
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM cancellation_writes")
        .fetch_one(&fx.admin)
        .await
        .unwrap();
    u64::try_from(count).unwrap()
}
