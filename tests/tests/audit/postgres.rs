//! The audit on PostgreSQL: the checks SQLite has, and row-level security
//! and the connected role. Each test skips (after a loud message) when
//! PostgreSQL is not available outside CI.

use sqlx::{PgPool, Postgres};
use tenancy_access as access;
use tenancy_core::audit::{self, Finding};
use tenancy_tests::TestDb;

use super::{BROKEN, CLEAN, assert_refused, foreign_keys, labels, models, sorted};
use crate::models::{Batch, RecipeStep};

/// The library's tables, sqlx's bookkeeping, a table of another schema
/// (which the audit does not read) and the models' tables with the keys
/// `tenancy_core::ddl` writes.
pub(crate) fn correct_schema() -> String {
    format!(
        "{library}
CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL);
CREATE SCHEMA elsewhere;
CREATE TABLE elsewhere.stray (id BIGINT PRIMARY KEY, name TEXT UNIQUE);
CREATE TABLE units (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE tags (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id BIGINT REFERENCES organizations (id),
    name TEXT NOT NULL,
    UNIQUE (organization_id, name)
);
CREATE TABLE recipes (
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    PRIMARY KEY (organization_id, id),
    UNIQUE (id),
    UNIQUE (organization_id, name)
);
CREATE TABLE recipe_steps (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipe_id BIGINT NOT NULL,
    body TEXT NOT NULL{step_keys}
);
CREATE TABLE batches (
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    recipe_id BIGINT NOT NULL,
    tag_id BIGINT,
    label TEXT NOT NULL,
    PRIMARY KEY (organization_id, id){batch_keys}
);
CREATE INDEX batches_by_recipe ON batches (organization_id, recipe_id);",
        library = access::schema::POSTGRES,
        step_keys = foreign_keys::<RecipeStep>(),
        batch_keys = foreign_keys::<Batch>(),
    )
}

/// Every defect of `BROKEN`, and of row-level security; the role's come
/// from the tests.
fn broken_schema() -> String {
    format!(
        "{library}
CREATE TABLE legacy_notes (id BIGINT PRIMARY KEY, organization_id BIGINT, body TEXT);
CREATE TABLE tags (
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    organization_id BIGINT,
    name TEXT NOT NULL,
    PRIMARY KEY (name, id)
);
CREATE TABLE recipes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id BIGINT,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE recipe_steps (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, recipe_id BIGINT NOT NULL);
CREATE TABLE batches (
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    organization_id BIGINT NOT NULL,
    recipe_id BIGINT NOT NULL REFERENCES recipes (id),
    tag_id BIGINT,
    label TEXT NOT NULL,
    PRIMARY KEY (organization_id, id)
);
CREATE UNIQUE INDEX batches_by_label ON batches (label);
-- The organization column second: an index scoped statements cannot use.
CREATE INDEX recipes_by_name ON recipes (name, organization_id);",
        library = access::schema::POSTGRES,
    )
}

/// Undoes parts of `ddl::row_level_security` on the broken schema.
const BROKEN_SECURITY: &str = r#"
ALTER TABLE recipes DISABLE ROW LEVEL SECURITY;
ALTER TABLE recipes NO FORCE ROW LEVEL SECURITY;
DROP POLICY tenancy_org ON recipes;
DROP POLICY tenancy_system ON recipes;
ALTER TABLE batches NO FORCE ROW LEVEL SECURITY;
DROP POLICY tenancy_org_delete ON tags;
CREATE POLICY open_read ON tags FOR SELECT USING (true);
CREATE POLICY only_named ON tags AS RESTRICTIVE FOR SELECT USING (name <> '');
"#;

/// What the broken schema reports on PostgreSQL besides `BROKEN`, through
/// a role with `BYPASSRLS` that owns `batches`.
const BROKEN_ON_POSTGRES: [&str; 9] = [
    // 6. row-level security
    "rls disabled recipes",
    "rls not forced recipes",
    "missing policy recipes.tenancy_org",
    "missing policy recipes.tenancy_system",
    "rls not forced batches",
    "missing policy tags.tenancy_org_delete",
    "unexpected policy tags.open_read",
    // 7. the role
    "owns batches",
    "bypassrls",
];

/// A database with `schema` and the models' row-level security, used
/// through a role made as production should make it.
async fn database(schema: &str) -> Option<TestDb<Postgres>> {
    tenancy_tests::postgres_with_rls(schema, &tenancy_core::ddl::row_level_security(&models()))
        .await
}

/// Runs `sql` as the superuser.
pub(crate) async fn as_superuser(db: &TestDb<Postgres>, sql: String) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
        .execute(db.admin())
        .await
        .unwrap_or_else(|e| panic!("run `{sql}`: {e}"));
}

/// The role `pool` connects as; the harness makes its name of digits,
/// letters and underscores, so it needs no quoting.
pub(crate) async fn role(pool: &PgPool) -> String {
    sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn report(pool: &PgPool) -> audit::Report {
    audit::audit(pool, &models()).await.unwrap()
}

/// A transaction of `pool` that names organization `org`, as the library
/// names it (`SET LOCAL tenancy.org_id`), for raw SQL that goes around the
/// library: what row-level security must hold.
pub(crate) async fn as_org(pool: &PgPool, org: i64) -> sqlx::Transaction<'static, Postgres> {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SELECT set_config('tenancy.org_id', $1, true)")
        .bind(org.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    tx
}

/// The `organization_id` of every row `sql` returns in `tx`, sorted.
pub(crate) async fn orgs_seen(tx: &mut sqlx::PgConnection, sql: &str) -> Vec<i64> {
    let mut orgs: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_all(tx)
        .await
        .unwrap_or_else(|e| panic!("run `{sql}`: {e}"));
    orgs.sort_unstable();
    orgs
}

/// The broken schema, used through a role with `BYPASSRLS` that owns
/// `batches`.
async fn broken() -> Option<TestDb<Postgres>> {
    let db = database(&broken_schema()).await?;
    as_superuser(&db, BROKEN_SECURITY.to_owned()).await;
    let role = role(db.pool()).await;
    as_superuser(
        &db,
        format!("ALTER ROLE {role} BYPASSRLS; ALTER TABLE batches OWNER TO {role};"),
    )
    .await;
    Some(db)
}

#[tokio::test]
async fn a_correct_schema_has_no_defect() {
    let Some(db) = database(&correct_schema()).await else {
        return;
    };
    let report = report(db.pool()).await;
    assert!(report.is_clean(), "{report}");
    assert_eq!(labels(&report), sorted(&CLEAN));
}

#[tokio::test]
async fn a_broken_schema_shows_every_defect() {
    let Some(db) = broken().await else {
        return;
    };
    let report = report(db.pool()).await;
    let expected: Vec<&str> = BROKEN.into_iter().chain(BROKEN_ON_POSTGRES).collect();
    assert_eq!(labels(&report), sorted(&expected), "{report}");
    let role = role(db.pool()).await;
    for finding in report.findings() {
        match finding {
            Finding::RoleBypassesRls { role: named } => assert_eq!(*named, role),
            Finding::RoleOwnsTable {
                role: named, owner, ..
            } => {
                assert_eq!(*named, role);
                assert_eq!(*owner, role);
            }
            _ => {}
        }
    }
}

#[tokio::test]
async fn the_superuser_is_reported() {
    let Some(db) = database(&correct_schema()).await else {
        return;
    };
    let report = report(db.admin()).await;
    assert!(report.findings().contains(&Finding::SuperuserRole {
        role: "postgres".to_owned()
    }));
    // The cluster's superuser also has BYPASSRLS and owns every table.
    for table in ["tags", "recipes", "recipe_steps", "batches"] {
        assert!(
            labels(&report).contains(&format!("owns {table}")),
            "{report}"
        );
    }
    let unexpected: Vec<&Finding> = report
        .defects()
        .filter(|finding| {
            !matches!(
                finding,
                Finding::SuperuserRole { .. }
                    | Finding::RoleBypassesRls { .. }
                    | Finding::RoleOwnsTable { .. }
            )
        })
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:?}");
}

#[tokio::test]
async fn a_role_that_owns_a_table_is_reported() {
    let Some(db) = database(&correct_schema()).await else {
        return;
    };
    let role = role(db.pool()).await;
    let migrator = format!("{role}_migrator");
    as_superuser(
        &db,
        format!(
            "ALTER TABLE recipes OWNER TO {role};
             CREATE ROLE {migrator} NOLOGIN;
             ALTER TABLE batches OWNER TO {migrator};
             GRANT {migrator} TO {role};"
        ),
    )
    .await;
    let report = report(db.pool()).await;
    let owned: Vec<&Finding> = report.defects().collect();
    assert_eq!(
        owned,
        [
            &Finding::RoleOwnsTable {
                role: role.clone(),
                table: "recipes".to_owned(),
                owner: role.clone(),
            },
            &Finding::RoleOwnsTable {
                role: role.clone(),
                table: "batches".to_owned(),
                owner: migrator,
            },
        ],
        "{report}"
    );
}

#[tokio::test]
async fn a_role_with_bypassrls_is_reported() {
    let Some(db) = database(&correct_schema()).await else {
        return;
    };
    let role = role(db.pool()).await;
    as_superuser(&db, format!("ALTER ROLE {role} BYPASSRLS")).await;
    let report = report(db.pool()).await;
    let defects: Vec<&Finding> = report.defects().collect();
    assert_eq!(defects, [&Finding::RoleBypassesRls { role }], "{report}");
}

#[tokio::test]
async fn require_clean_refuses_a_broken_schema() {
    let Some(db) = broken().await else {
        return;
    };
    let refused = audit::require_clean(db.pool(), &models())
        .await
        .unwrap_err();
    assert_refused(&refused, BROKEN.len() - 1 + BROKEN_ON_POSTGRES.len());
}

#[tokio::test]
async fn require_clean_passes_a_correct_schema() {
    let Some(db) = database(&correct_schema()).await else {
        return;
    };
    let report = audit::require_clean(db.pool(), &models()).await.unwrap();
    assert_eq!(report.notes().count(), 1);
}

#[tokio::test]
async fn a_tenant_setting_outside_transactions_is_reported() {
    let Some(db) = database(&correct_schema()).await else {
        return;
    };
    // A stored default, the way `ALTER ROLE app SET tenancy.org_id = '1'`
    // would leave one on every session of the role.
    let role = role(db.pool()).await;
    as_superuser(&db, format!("ALTER ROLE {role} SET tenancy.org_id = '1'")).await;
    let options = (*db.pool().connect_options()).clone();
    let fresh = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    let report = report(&fresh).await;
    let defects: Vec<&Finding> = report.defects().collect();
    assert_eq!(
        defects,
        [&Finding::TenantSettingOutsideTransactions {
            setting: "tenancy.org_id".into(),
            value: "1".into(),
        }],
        "{report}"
    );
    assert!(
        report.to_string().contains("RESET tenancy.org_id"),
        "{report}"
    );
}
