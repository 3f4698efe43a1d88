//! The schedule on PostgreSQL with row-level security: pools of two
//! connections as a role the policies apply to and as a login of the
//! system role, and the superuser's pool, which sees each connection's
//! state from outside and counts what committed.

use sqlx::pool::PoolConnection;
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres};
use tenancy_core::ddl;

use crate::models::{models, postgres_schema};

#[path = "access.rs"]
mod access;
#[path = "operations.rs"]
mod operations;
#[path = "sweep.rs"]
mod sweep;

pub(crate) use sweep::Report;
use sweep::{Probe, sweep};

pub(crate) type Db = Postgres;

/// The pools of one database, and the rows `R` the operations work on.
pub(crate) struct Fixture<R> {
    pub(crate) pool: PgPool,
    /// A login of the system role, for work across organizations.
    pub(crate) system_pool: PgPool,
    pub(crate) rows: R,
    /// The tables with row-level security, which a connection naming no
    /// organization must see empty.
    tables: &'static [&'static str],
    admin: PgPool,
}

/// A database with `schema`, `policies` and the table of markers; its
/// superuser's pool, and its application and system pools, built the
/// library's way or plain.
async fn database(
    schema: &str,
    policies: Vec<String>,
    library_pool: bool,
) -> Option<(PgPool, PgPool, PgPool)> {
    let cluster = tenancy_tests::pg::cluster()?;
    let admin = cluster.fresh_database().await.unwrap();
    let schema = format!("{schema}\nCREATE TABLE cancellation_writes (n BIGINT NOT NULL);");
    sqlx::raw_sql(sqlx::AssertSqlSafe(schema))
        .execute(&admin)
        .await
        .unwrap();
    for policy in policies {
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
    let connect = |options| base().max_connections(2).connect_with(options);
    let pool = connect(options).await.unwrap();
    let system_pool = connect(system_options).await.unwrap();
    Some((admin, pool, system_pool))
}

/// Runs the schedule of the scoping kernel's operations on pools built the
/// library's way, or plain ones; `None` when PostgreSQL is not available
/// outside CI.
pub(crate) async fn run(library_pool: bool) -> Option<Report> {
    let policies = ddl::row_level_security(&models());
    let (admin, pool, system_pool) = database(&postgres_schema(), policies, library_pool).await?;
    let rows = operations::seed(&pool).await;
    let fx = Fixture {
        pool,
        system_pool,
        rows,
        tables: &["recipes", "ingredients", "recipe_ingredients"],
        admin,
    };
    Some(sweep(&fx, operations::all()).await)
}

/// The same for the access rules' operations, on a database of the
/// library's access tables (the system role exists once the kernel's
/// policies were written anywhere on the cluster).
pub(crate) async fn run_access(library_pool: bool) -> Option<Report> {
    let system_role = ddl::row_level_security(&ddl::Models::new());
    let (admin, pool, system_pool) = database("", system_role, library_pool).await?;
    // The access tables are created after the roles' grants: grant again.
    let rows = access::seed(&admin).await;
    grant_all(&admin, &pool).await;
    grant_all(&admin, &system_pool).await;
    let fx = Fixture {
        pool,
        system_pool,
        rows,
        tables: &[],
        admin,
    };
    Some(sweep(&fx, access::all()).await)
}

/// Grants the role of `pool` every table and sequence of the schema.
async fn grant_all(admin: &PgPool, pool: &PgPool) {
    let role: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(pool)
        .await
        .unwrap();
    // `role` is made of digits and underscores only.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
         GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};"
    )))
    .execute(admin)
    .await
    .unwrap();
}

/// What the connection shows of itself (its setting, the rows of tenant
/// tables it sees with no organization named), and what the server says
/// of its state.
async fn probe<R>(fx: &Fixture<R>, connection: &mut PoolConnection<Postgres>) -> Probe {
    let visible: String = if fx.tables.is_empty() {
        "0::bigint".to_owned()
    } else {
        fx.tables
            .iter()
            .map(|table| format!("(SELECT count(*) FROM {table})"))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    // `visible` names the suite's own tables.
    let sql = format!(
        "SELECT pg_backend_pid(), nullif(current_setting('tenancy.org_id', true), ''), {visible}"
    );
    let own: Result<(i32, Option<String>, i64), _> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
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
async fn committed_writes<R>(fx: &Fixture<R>) -> u64 {
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM cancellation_writes")
        .fetch_one(&fx.admin)
        .await
        .unwrap();
    u64::try_from(count).unwrap()
}
