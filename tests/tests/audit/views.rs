//! Views and materialized views over tenant tables on PostgreSQL. A view
//! reads its tables with its owner's rights unless it is
//! `security_invoker`, so one owned by a role that row-level security does
//! not hold (a superuser, a role with `BYPASSRLS`) shows every
//! organization's rows to whoever may read it; a materialized view has no
//! policies at all. The audit reports those the app's role can read.

use tenancy_tests::TestDb;

use super::{CLEAN, labels, sorted};
use crate::postgres::{as_org, as_superuser, correct_schema, orgs_seen, role};

/// The correct schema and a recipe of each of two organizations.
fn schema() -> String {
    format!(
        "{}
INSERT INTO organizations (id, name) VALUES (1, 'one'), (2, 'two');
INSERT INTO recipes (organization_id, name) VALUES (1, 'soap'), (2, 'candle');",
        correct_schema()
    )
}

async fn database() -> Option<TestDb<sqlx::Postgres>> {
    let models = crate::models();
    tenancy_tests::postgres_with_rls(&schema(), &tenancy_core::ddl::row_level_security(&models))
        .await
}

async fn audited(db: &TestDb<sqlx::Postgres>) -> tenancy_core::audit::Report {
    tenancy_core::audit::audit(db.pool(), &crate::models())
        .await
        .unwrap()
}

/// The organizations whose rows organization 1 sees through `relation`.
async fn seen_by_one(db: &TestDb<sqlx::Postgres>, relation: &str) -> Vec<i64> {
    let mut tx = as_org(db.pool(), 1).await;
    orgs_seen(&mut tx, &format!("SELECT organization_id FROM {relation}")).await
}

#[tokio::test]
async fn a_view_owned_by_a_superuser_is_reported() {
    let Some(db) = database().await else {
        return;
    };
    let app = role(db.pool()).await;
    // Created by the superuser, so owned by it, and granted to the app.
    as_superuser(
        &db,
        format!(
            "CREATE VIEW recipe_names AS SELECT organization_id, name FROM recipes;
             GRANT SELECT ON recipe_names TO {app};"
        ),
    )
    .await;
    assert_eq!(seen_by_one(&db, "recipe_names").await, [1, 2]);
    let report = audited(&db).await;
    let mut expected = vec!["view recipe_names reads recipes as postgres through recipe_names"];
    expected.extend(CLEAN);
    assert_eq!(labels(&report), sorted(&expected), "{report}");
    assert!(
        report
            .to_string()
            .contains("ALTER VIEW recipe_names SET (security_invoker = true)"),
        "{report}"
    );

    // The fix the finding names.
    as_superuser(
        &db,
        "ALTER VIEW recipe_names SET (security_invoker = true)".into(),
    )
    .await;
    assert_eq!(seen_by_one(&db, "recipe_names").await, [1]);
    let report = audited(&db).await;
    assert_eq!(labels(&report), sorted(&CLEAN), "{report}");
}

#[tokio::test]
async fn a_view_owned_by_a_system_login_is_reported() {
    let Some(db) = database().await else {
        return;
    };
    let app = role(db.pool()).await;
    let system = role(db.system()).await;
    // The bypass policy lets its owner through, and so whoever reads it.
    as_superuser(
        &db,
        format!(
            "CREATE VIEW recipe_names AS SELECT organization_id, name FROM recipes;
             ALTER VIEW recipe_names OWNER TO {system};
             GRANT SELECT ON recipe_names TO {app};"
        ),
    )
    .await;
    assert_eq!(seen_by_one(&db, "recipe_names").await, [1, 2]);
    let report = audited(&db).await;
    let finding = format!("view recipe_names reads recipes as {system} through recipe_names");
    let mut expected = vec![finding.as_str()];
    expected.extend(CLEAN);
    assert_eq!(labels(&report), sorted(&expected), "{report}");
}

#[tokio::test]
async fn a_materialized_view_is_reported() {
    let Some(db) = database().await else {
        return;
    };
    let app = role(db.pool()).await;
    as_superuser(
        &db,
        format!(
            "CREATE MATERIALIZED VIEW recipe_counts AS
                 SELECT organization_id, count(*) AS recipes FROM recipes GROUP BY organization_id;
             GRANT SELECT ON recipe_counts TO {app};"
        ),
    )
    .await;
    assert_eq!(seen_by_one(&db, "recipe_counts").await, [1, 2]);
    let report = audited(&db).await;
    let mut expected = vec!["materialized recipe_counts holds recipes, read as recipe_counts"];
    expected.extend(CLEAN);
    assert_eq!(labels(&report), sorted(&expected), "{report}");

    // Whoever owns it, a materialized view has no policies: the fix is that
    // the app's role cannot read it.
    as_superuser(&db, format!("REVOKE SELECT ON recipe_counts FROM {app}")).await;
    let report = audited(&db).await;
    assert_eq!(labels(&report), sorted(&CLEAN), "{report}");
}

#[tokio::test]
async fn views_read_through_other_views_and_schemas_are_reported() {
    let Some(db) = database().await else {
        return;
    };
    let app = role(db.pool()).await;
    let reporter = format!("{app}_reporter");
    as_superuser(
        &db,
        format!(
            "CREATE ROLE {reporter} NOLOGIN BYPASSRLS;
             GRANT SELECT ON recipes TO {reporter};
             -- Owned by a role with BYPASSRLS, in another schema.
             CREATE SCHEMA reports;
             GRANT USAGE ON SCHEMA reports TO {app};
             CREATE VIEW reports.all_recipes AS SELECT organization_id, name FROM public.recipes;
             ALTER VIEW reports.all_recipes OWNER TO {reporter};
             -- security_invoker, but over the view above: it reads as its owner.
             CREATE VIEW recipe_list WITH (security_invoker = true) AS
                 SELECT organization_id, name FROM reports.all_recipes;
             -- Over a materialized view the app's role cannot read itself.
             CREATE MATERIALIZED VIEW recipe_snapshot AS SELECT organization_id FROM recipes;
             CREATE VIEW snapshot_list AS SELECT organization_id FROM recipe_snapshot;
             GRANT SELECT ON reports.all_recipes, recipe_list, snapshot_list TO {app};"
        ),
    )
    .await;
    for relation in ["reports.all_recipes", "recipe_list", "snapshot_list"] {
        assert_eq!(seen_by_one(&db, relation).await, [1, 2], "{relation}");
    }
    let report = audited(&db).await;
    let through = format!("as {reporter} through reports.all_recipes");
    let mut expected = vec![
        format!("view reports.all_recipes reads recipes {through}"),
        format!("view recipe_list reads recipes {through}"),
        "materialized recipe_snapshot holds recipes, read as snapshot_list".to_owned(),
    ];
    expected.extend(CLEAN.map(str::to_owned));
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    assert_eq!(labels(&report), sorted(&expected), "{report}");
}

#[tokio::test]
async fn views_the_policies_hold_are_clean() {
    let Some(db) = database().await else {
        return;
    };
    let app = role(db.pool()).await;
    let owner = format!("{app}_owner");
    as_superuser(
        &db,
        format!(
            "CREATE ROLE {owner} NOLOGIN NOBYPASSRLS;
             GRANT SELECT ON recipes TO {owner};
             -- Not security_invoker, but its owner is held to the policies,
             -- which read the transaction's organization.
             CREATE VIEW owned_names AS SELECT organization_id, name FROM recipes;
             ALTER VIEW owned_names OWNER TO {owner};
             CREATE VIEW invoker_names WITH (security_invoker = true) AS
                 SELECT organization_id, name FROM recipes;
             -- A superuser's view the app's role may not read.
             CREATE VIEW admin_names AS SELECT organization_id, name FROM recipes;
             -- Over a global table.
             CREATE VIEW unit_names AS SELECT name FROM units;
             GRANT SELECT ON owned_names, invoker_names, unit_names TO {app};"
        ),
    )
    .await;
    assert_eq!(seen_by_one(&db, "owned_names").await, [1]);
    assert_eq!(seen_by_one(&db, "invoker_names").await, [1]);
    let report = audited(&db).await;
    assert!(report.is_clean(), "{report}");
    assert_eq!(labels(&report), sorted(&CLEAN), "{report}");
}
