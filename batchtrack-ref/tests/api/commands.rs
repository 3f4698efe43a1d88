//! The commands of `batchtrack-ref` other than serving: `migrate`, `audit`
//! and `citus-ddl`, on both backends, as the binary runs them.

use batchtrack_ref::StartupError;
use batchtrack_ref::configuration::Cli;
use clap::Parser;

async fn run(args: &[&str]) -> Result<(), StartupError> {
    let cli = Cli::try_parse_from(std::iter::once("batchtrack-ref").chain(args.iter().copied()))
        .expect("a command line");
    batchtrack_ref::run(cli).await
}

#[tokio::test]
async fn sqlite_migrate_then_audit_is_clean_and_an_undeclared_table_is_a_defect() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("batchtrack.db").display());
    run(&["migrate", "--database-url", &url]).await.unwrap();
    // Twice: nothing left to apply.
    run(&["migrate", "--database-url", &url]).await.unwrap();
    run(&["audit", "--database-url", &url]).await.unwrap();
    let refused = run(&["seed", "--database-url", &url]).await.unwrap_err();
    assert!(
        matches!(refused, StartupError::NothingToSeed),
        "{refused:?}"
    );
    // The demo once; a second run writes nothing.
    run(&["seed", "--demo", "--database-url", &url])
        .await
        .unwrap();
    run(&["seed", "--demo", "--database-url", &url])
        .await
        .unwrap();
    run(&["audit", "--database-url", &url]).await.unwrap();

    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::raw_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, organization_id INTEGER)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let refused = run(&["audit", "--database-url", &url]).await.unwrap_err();
    assert!(matches!(refused, StartupError::Defects(1)), "{refused:?}");
}

#[tokio::test]
async fn postgres_migrate_as_the_owner_then_audit_as_the_app_role_is_clean() {
    let Some(cluster) = tenancy_tests::pg::cluster() else {
        return;
    };
    let admin = cluster.fresh_database().await.unwrap();
    let database: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&admin)
        .await
        .unwrap();
    let port = cluster.port();
    // The test cluster trusts local connections: no passwords.
    let owner = format!("postgres://postgres@127.0.0.1:{port}/{database}");
    run(&["migrate", "--database-url", &owner]).await.unwrap();
    run(&["migrate", "--database-url", &owner]).await.unwrap();
    // As the superuser the audit refuses: row-level security does not
    // hold it.
    let refused = run(&["audit", "--database-url", &owner]).await.unwrap_err();
    assert!(matches!(refused, StartupError::Defects(_)), "{refused:?}");

    let app = cluster.app_role(&admin).await.unwrap();
    let role = app.get_username();
    let app = format!("postgres://{role}@127.0.0.1:{port}/{database}");
    run(&["audit", "--database-url", &app]).await.unwrap();
}

#[tokio::test]
async fn citus_ddl_needs_no_database_and_an_unknown_database_is_refused() {
    run(&["citus-ddl", "--app-role", "shop"]).await.unwrap();
    let refused = run(&["audit", "--database-url", "mysql://localhost/shop"])
        .await
        .unwrap_err();
    assert!(
        matches!(refused, StartupError::UnsupportedDatabase(_)),
        "{refused:?}"
    );
}
