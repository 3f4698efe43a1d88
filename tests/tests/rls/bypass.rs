//! The bypass of work across organizations is a database role, not a
//! setting: raw SQL on the app's connections cannot switch it on, however
//! it sets settings, and a `SystemScope` refuses a pool whose role is not
//! the system role's.

use sqlx::postgres::PgPoolOptions;
use tenancy_core::audit::{Finding, audit};
use tenancy_core::{Error, Scoped};

use crate::models::{Recipe, models};
use crate::setup::{count, rls, scope, seed, sqlstate, system};

#[tokio::test]
async fn raw_sql_on_the_app_role_cannot_turn_the_bypass_on() {
    let Some(db) = rls().await else { return };
    seed(&db).await;
    assert_eq!(count(&db.admin, "recipes").await, 2);

    // The setting the bypass once was, set for a transaction.
    let mut tx = db.app.begin().await.unwrap();
    sqlx::raw_sql("SET LOCAL tenancy.system = 'on'")
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(count(&mut *tx, "recipes").await, 0, "no organization named");
    tx.rollback().await.unwrap();

    // Inside a scoped transaction: still that organization only.
    let mut tx = scope(1).begin(&db.app).await.unwrap();
    sqlx::raw_sql("SET LOCAL tenancy.system = 'on'")
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(count(&mut *tx, "recipes").await, 1);
    tx.rollback().await.unwrap();

    // The role itself is out of reach.
    let error = sqlx::raw_sql("SET ROLE tenancy_system")
        .execute(&db.app)
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&error).as_deref(), Some("42501"), "{error}");
}

#[tokio::test]
async fn a_scoped_transaction_sets_its_organization_over_a_session_value() {
    let Some(db) = rls().await else { return };
    seed(&db).await;
    // A plain pool of one connection keeps what a session set on it.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(db.app.connect_options().as_ref().clone())
        .await
        .unwrap();
    sqlx::raw_sql("SET tenancy.system = 'on'; SET tenancy.org_id = '102'")
        .execute(&pool)
        .await
        .unwrap();
    let mut tx = scope(1).begin(&pool).await.unwrap();
    let orgs: Vec<i64> = sqlx::query_scalar("SELECT organization_id FROM recipes")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(orgs, [101], "the stale session values do not count");
    tx.rollback().await.unwrap();
}

#[tokio::test]
async fn a_system_scope_runs_only_on_the_system_role() {
    let Some(db) = rls().await else { return };
    seed(&db).await;
    let configuration =
        |error: Error| matches!(error, Error::Database(sqlx::Error::Configuration(_)));
    let refused = system().begin(&db.app).await.unwrap_err();
    assert!(configuration(refused));
    let refused = Recipe::select_across_orgs(&system())
        .fetch_all(&db.app)
        .await
        .unwrap_err();
    assert!(configuration(refused), "a lone operation is checked too");
    let mut tx = scope(1).begin(&db.app).await.unwrap();
    let refused = Recipe::select_across_orgs(&system())
        .fetch_all(&mut *tx)
        .await
        .unwrap_err();
    assert!(configuration(refused), "and one in a scoped transaction");
    tx.rollback().await.unwrap();

    let mut tx = system().begin(&db.system).await.unwrap();
    assert_eq!(count(&mut *tx, "recipes").await, 2);
    let all = Recipe::select_across_orgs(&system())
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    tx.commit().await.unwrap();
    let all = Recipe::select_across_orgs(&system())
        .fetch_all(&db.system)
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
}

#[tokio::test]
async fn the_audit_reports_an_app_role_that_is_a_member_of_the_system_role() {
    let Some(db) = rls().await else { return };
    let across = |findings: &[Finding]| {
        findings
            .iter()
            .filter(|f| matches!(f, Finding::RoleActsAcrossOrgs { .. }))
            .count()
    };
    let before = audit(&db.app, &models()).await.unwrap();
    assert_eq!(across(before.findings()), 0, "{before}");
    let role: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&db.app)
        .await
        .unwrap();
    // A member without INHERIT holds no privilege of the role until it
    // runs `SET ROLE`, which raw SQL may: reported all the same. `role` is
    // made of digits and underscores only.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "ALTER ROLE {role} NOINHERIT; GRANT tenancy_system TO {role}"
    )))
    .execute(&db.admin)
    .await
    .unwrap();
    let after = audit(&db.app, &models()).await.unwrap();
    assert_eq!(across(after.findings()), 1, "{after}");
    assert!(after.to_string().contains("REVOKE"), "{after}");
}
