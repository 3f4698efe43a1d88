//! Partitions of tenant tables on PostgreSQL. Row-level security on a
//! partitioned table holds statements on the parent only: a statement that
//! names a partition (`SELECT .. FROM parts_low`) gets the partition's own
//! row-level security, and the documented grants (`ON ALL TABLES IN
//! SCHEMA`) cover partitions too. So the DDL secures every partition, and
//! the audit reports a partition the app's role can reach without it.

use tenancy_core::{Id, OrgId, Scope, Scoped, ddl};
use tenancy_tests::TestDb;

use super::{CLEAN, labels, sorted};
use crate::postgres::{as_org, as_superuser, correct_schema, orgs_seen, role};

/// The model exists for the audit and the DDL; its fields are read by the
/// library's select only.
#[allow(dead_code)]
mod model {
    use super::{Id, OrgId, Scoped};

    /// Scoped, over a partitioned table.
    #[derive(Debug, Scoped)]
    #[tenancy(table = "parts")]
    pub(crate) struct Part {
        id: Id<Part>,
        pub(crate) organization_id: OrgId,
        name: String,
    }

    /// Shared, over a partitioned table.
    #[derive(Debug, Scoped)]
    #[tenancy(table = "shared_parts", shared)]
    pub(crate) struct SharedPart {
        id: Id<SharedPart>,
        organization_id: Option<OrgId>,
        name: String,
    }

    /// Inherited through a recipe, over a partitioned table.
    #[derive(Debug, Scoped)]
    #[tenancy(table = "part_steps", parent = crate::models::Recipe, via = recipe_id)]
    pub(crate) struct PartStep {
        id: Id<PartStep>,
        recipe_id: Id<crate::models::Recipe>,
        body: String,
    }
}

use model::{Part, PartStep, SharedPart};

fn models() -> ddl::Models {
    crate::models().with::<Part>()
}

/// `parts` by range of organization: organizations 1 and 2 in `parts_low`,
/// 1001 and 1002 in `parts_high`, itself partitioned by hash into
/// `parts_high_0` and `parts_high_1`; a part of each organization.
fn schema() -> String {
    format!(
        "{}
CREATE TABLE parts (
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    organization_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (organization_id, id)
) PARTITION BY RANGE (organization_id);
CREATE TABLE parts_low PARTITION OF parts FOR VALUES FROM (MINVALUE) TO (1000);
CREATE TABLE parts_high PARTITION OF parts FOR VALUES FROM (1000) TO (2000)
    PARTITION BY HASH (organization_id);
CREATE TABLE parts_high_0 PARTITION OF parts_high FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE parts_high_1 PARTITION OF parts_high FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO parts (organization_id, name)
    VALUES (1, 'one'), (2, 'two'), (1001, 'one thousand and one'), (1002, 'one thousand and two');",
        correct_schema()
    )
}

/// The schema with the DDL of `ddl::row_level_security`, used through a
/// role with the documented grants.
async fn database() -> Option<TestDb<sqlx::Postgres>> {
    tenancy_tests::postgres_with_rls(&schema(), &ddl::row_level_security(&models())).await
}

async fn audited(db: &TestDb<sqlx::Postgres>) -> tenancy_core::audit::Report {
    tenancy_core::audit::audit(db.pool(), &models())
        .await
        .unwrap()
}

/// Every partition, leaves and the partitioned one between.
const PARTITIONS: [&str; 4] = ["parts_low", "parts_high", "parts_high_0", "parts_high_1"];

#[tokio::test]
async fn the_ddl_holds_every_partition_to_the_policies() {
    let Some(db) = database().await else {
        return;
    };
    // Through the parent, as the library reads.
    let one = Scope::for_job(OrgId::new(1), "audit suite");
    let parts = Part::select(&one).fetch_all(db.pool()).await.unwrap();
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].organization_id, OrgId::new(1));

    // Around the library, straight at each partition.
    for org in [1, 1001] {
        let mut tx = as_org(db.pool(), org).await;
        let mut seen = Vec::new();
        for partition in PARTITIONS {
            let sql = format!("SELECT organization_id FROM {partition}");
            seen.extend(orgs_seen(&mut tx, &sql).await);
        }
        seen.sort_unstable();
        // `parts_high` holds its partitions' rows: organization 1001's twice.
        let expected: Vec<i64> = if org == 1 { vec![1] } else { vec![1001, 1001] };
        assert_eq!(seen, expected, "organization {org}");
    }
    let mut tx = as_org(db.pool(), 1).await;
    let updated = sqlx::query("UPDATE parts_low SET name = 'taken' WHERE organization_id = 2")
        .execute(&mut *tx)
        .await
        .unwrap();
    let deleted = sqlx::query("DELETE FROM parts_low WHERE organization_id = 2")
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!((updated.rows_affected(), deleted.rows_affected()), (0, 0));
    let planted =
        sqlx::query("INSERT INTO parts_low (organization_id, name) VALUES (2, 'planted')")
            .execute(&mut *tx)
            .await
            .unwrap_err();
    assert_eq!(
        planted
            .as_database_error()
            .and_then(|e| e.code())
            .as_deref(),
        Some("42501"),
        "{planted}"
    );
    drop(tx);
    // With no organization named, a partition shows nothing.
    let unnamed: Vec<i64> = sqlx::query_scalar("SELECT organization_id FROM parts_low")
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert!(unnamed.is_empty(), "{unnamed:?}");

    let report = audited(&db).await;
    assert!(report.is_clean(), "{report}");
    assert_eq!(labels(&report), sorted(&CLEAN), "{report}");
}

#[tokio::test]
async fn a_partition_without_the_policies_is_reported() {
    let Some(db) = database().await else {
        return;
    };
    let app = role(db.pool()).await;
    // A partition created after the DDL ran, granted as the docs say to
    // grant after each migration; an existing one that lost a policy;
    // one no longer forced; and one without row-level security that the
    // app's role cannot touch, which is no side door.
    as_superuser(
        &db,
        format!(
            "CREATE TABLE parts_late PARTITION OF parts FOR VALUES FROM (2000) TO (MAXVALUE);
             INSERT INTO parts (organization_id, name) VALUES (2001, 'late'), (2002, 'later');
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app};
             DROP POLICY tenancy_org ON parts_low;
             ALTER TABLE parts_high_0 NO FORCE ROW LEVEL SECURITY;
             ALTER TABLE parts_high_1 DISABLE ROW LEVEL SECURITY;
             REVOKE ALL ON parts_high_1 FROM {app};"
        ),
    )
    .await;
    // What the late partition lets through: another organization's rows.
    let mut tx = as_org(db.pool(), 2001).await;
    assert_eq!(
        orgs_seen(&mut tx, "SELECT organization_id FROM parts_late").await,
        [2001, 2002]
    );
    drop(tx);

    let report = audited(&db).await;
    let mut expected = vec![
        "unprotected partition parts.parts_late",
        "unprotected partition parts.parts_low",
        "unprotected partition parts.parts_high_0",
    ];
    expected.extend(CLEAN);
    assert_eq!(labels(&report), sorted(&expected), "{report}");
    let line = |partition: &str| {
        report
            .findings()
            .iter()
            .map(ToString::to_string)
            .find(|line| line.starts_with(&format!("partition `{partition}`")))
            .unwrap_or_else(|| panic!("no finding of {partition}: {report}"))
    };
    assert!(line("parts_late").contains("not enabled"), "{report}");
    assert!(
        line("parts_low").contains("no policy `tenancy_org`"),
        "{report}"
    );
    assert!(line("parts_high_0").contains("not forced"), "{report}");
    assert!(
        line("parts_late").contains(&format!("REVOKE ALL ON parts_late FROM \"{app}\"")),
        "{report}"
    );

    // The fix the finding names: the DDL again, which finds the new
    // partition.
    for statement in ddl::row_level_security(&models()) {
        as_superuser(&db, statement).await;
    }
    let mut tx = as_org(db.pool(), 2001).await;
    assert_eq!(
        orgs_seen(&mut tx, "SELECT organization_id FROM parts_late").await,
        [2001]
    );
    drop(tx);
    let report = audited(&db).await;
    assert_eq!(labels(&report), sorted(&CLEAN), "{report}");
}

/// Shared and inherited tables partitioned by hash of their id, and rows
/// of two organizations: a shared part each and a system one, a step of
/// each organization's recipe.
fn kinds_schema() -> String {
    let mut sql = format!(
        "{}
INSERT INTO organizations (id, name) VALUES (1, 'one'), (2, 'two');
INSERT INTO recipes (organization_id, name) VALUES (1, 'soap'), (2, 'candle');
CREATE TABLE shared_parts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id BIGINT REFERENCES organizations (id),
    name TEXT NOT NULL
) PARTITION BY HASH (id);
CREATE TABLE part_steps (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipe_id BIGINT NOT NULL REFERENCES recipes (id),
    body TEXT NOT NULL
) PARTITION BY HASH (id);
",
        correct_schema()
    );
    for table in ["shared_parts", "part_steps"] {
        for remainder in 0..2 {
            sql.push_str(&format!(
                "CREATE TABLE {table}_{remainder} PARTITION OF {table} \
                 FOR VALUES WITH (MODULUS 2, REMAINDER {remainder});\n"
            ));
        }
    }
    sql.push_str(
        "INSERT INTO shared_parts (organization_id, name) VALUES (1, 'one'), (2, 'two'), (NULL, 'system');
INSERT INTO part_steps (recipe_id, body) SELECT id, 'step of ' || name FROM recipes;",
    );
    sql
}

#[tokio::test]
async fn partitions_of_shared_and_inherited_tables_get_their_policies() {
    let models = crate::models().with::<SharedPart>().with::<PartStep>();
    // The block's statements are parsed only when a partition exists:
    // each kind's must run.
    let Some(db) =
        tenancy_tests::postgres_with_rls(&kinds_schema(), &ddl::row_level_security(&models)).await
    else {
        return;
    };
    let mut tx = as_org(db.pool(), 1).await;
    let mut shared = Vec::new();
    let mut steps = Vec::new();
    for remainder in 0..2 {
        let sql = format!("SELECT coalesce(organization_id, 0) FROM shared_parts_{remainder}");
        shared.extend(orgs_seen(&mut tx, &sql).await);
        let sql = format!("SELECT body FROM part_steps_{remainder}");
        steps.extend(
            sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut *tx)
                .await
                .unwrap(),
        );
    }
    shared.sort_unstable();
    // Its own and the system row; its own recipe's step.
    assert_eq!(shared, [0, 1]);
    assert_eq!(steps, ["step of soap"]);
    // The system-rows trigger of the parent holds on its partitions: the
    // one that holds the system row refuses to let it be claimed.
    let mut refused = Vec::new();
    for remainder in 0..2 {
        let sql = format!(
            "UPDATE shared_parts_{remainder} SET organization_id = 1 WHERE organization_id IS NULL"
        );
        let mut savepoint = sqlx::Acquire::begin(&mut *tx).await.unwrap();
        match sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *savepoint)
            .await
        {
            Ok(done) => assert_eq!(done.rows_affected(), 0, "shared_parts_{remainder}"),
            Err(error) => refused.push(
                error
                    .as_database_error()
                    .and_then(|e| e.code())
                    .map(String::from),
            ),
        }
    }
    assert_eq!(refused, [Some("42501".to_owned())]);
    drop(tx);

    let report = tenancy_core::audit::audit(db.pool(), &models)
        .await
        .unwrap();
    let mut expected = vec!["note: not distributable part_steps via recipes"];
    expected.extend(CLEAN);
    assert_eq!(labels(&report), sorted(&expected), "{report}");
}
