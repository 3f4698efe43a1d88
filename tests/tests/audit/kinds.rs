//! Models whose kind does not fit their table, on both backends: a global
//! model over a table with an organization column, whose reads return
//! every organization's rows, and one table declared by models of
//! different kinds. The compiler sees each model alone; only the audit sees
//! the table under them.

use sqlx::{Pool, Postgres, Sqlite};
use tenancy_access as access;
use tenancy_core::audit;
use tenancy_core::{Global, Id, OrgId, Scope, Scoped, ddl};

use super::{labels, sorted};
use crate::models::Unit;

/// The models exist for the audit to compare tables with, and for the
/// reads that show what the audit's findings mean.
#[allow(dead_code)]
mod models {
    use super::{Id, OrgId, Scoped};

    /// Global by mistake: its table says which organization wrote each
    /// notice.
    #[derive(Debug, Scoped)]
    #[tenancy(table = "notices", global)]
    pub(crate) struct Notice {
        pub(crate) id: Id<Notice>,
        pub(crate) body: String,
    }

    /// Scoped, over the table `Unit` declares global.
    #[derive(Debug, Scoped)]
    #[tenancy(table = "units")]
    pub(crate) struct OrgUnit {
        id: Id<OrgUnit>,
        organization_id: OrgId,
        name: String,
    }

    /// Global like `Unit`, over the same table: a narrower read model.
    #[derive(Debug, Scoped)]
    #[tenancy(table = "units", global)]
    pub(crate) struct UnitName {
        id: Id<UnitName>,
        name: String,
    }
}

use models::{Notice, OrgUnit, UnitName};

/// What the audit says of a global table with an organization column.
const GLOBAL_WITH_ORG: &str = "global with org column notices.organization_id";

/// What the audit says of `units`, declared global and scoped.
const KINDS_DIFFER: [&str; 2] = [
    "kinds differ units: global, scoped by organization_id",
    "global with org column units.organization_id",
];

/// `notices` with an organization column and a notice of each of two
/// organizations.
fn notices(id: &str) -> String {
    format!(
        "CREATE TABLE notices (id {id}, organization_id BIGINT NOT NULL, body TEXT NOT NULL);
INSERT INTO notices (organization_id, body) VALUES (1, 'first organization'), (2, 'second organization');"
    )
}

/// `notices` whose organization column is named otherwise, but is a foreign
/// key to the library's `organizations`.
fn notices_by_reference(id: &str) -> String {
    format!(
        "CREATE TABLE notices (id {id}, posted_by BIGINT NOT NULL REFERENCES organizations (id), \
         body TEXT NOT NULL);"
    )
}

/// `units` with an organization column, a unit of each of two organizations.
fn org_units(id: &str) -> String {
    format!(
        "CREATE TABLE units (id {id}, organization_id BIGINT NOT NULL, name TEXT NOT NULL,
    UNIQUE (organization_id, id));
INSERT INTO units (organization_id, name) VALUES (1, 'gram'), (2, 'ounce');"
    )
}

async fn report<DB: audit::Audited>(pool: &Pool<DB>, models: &ddl::Models) -> audit::Report {
    audit::audit(pool, models).await.unwrap()
}

mod sqlite {
    use super::*;

    const ID: &str = "INTEGER PRIMARY KEY";

    async fn database(schema: &str) -> tenancy_tests::TestDb<Sqlite> {
        let db = tenancy_tests::sqlite().await;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "{}\n{schema}",
            access::schema::SQLITE
        )))
        .execute(db.pool())
        .await
        .expect("create the schema");
        db
    }

    #[tokio::test]
    async fn a_global_model_over_a_table_with_an_organization_column_is_reported() {
        let db = database(&notices(ID)).await;
        // What the mistake does: the global read returns both
        // organizations' notices.
        let mut bodies: Vec<String> = Notice::select()
            .fetch_all(db.pool())
            .await
            .unwrap()
            .into_iter()
            .map(|notice| notice.body)
            .collect();
        bodies.sort();
        assert_eq!(bodies, ["first organization", "second organization"]);

        let models = tenancy_access::schema::models().with::<Notice>();
        let report = report(db.pool(), &models).await;
        assert!(!report.is_clean(), "{report}");
        assert_eq!(labels(&report), sorted(&[GLOBAL_WITH_ORG]), "{report}");
    }

    #[tokio::test]
    async fn a_global_model_over_a_reference_to_organizations_is_reported() {
        let db = database(&notices_by_reference(ID)).await;
        let models = tenancy_access::schema::models().with::<Notice>();
        let report = report(db.pool(), &models).await;
        assert_eq!(
            labels(&report),
            sorted(&["global with org column notices.posted_by"]),
            "{report}"
        );
    }

    #[tokio::test]
    async fn a_global_model_over_a_global_table_is_clean() {
        let db = database(&format!(
            "CREATE TABLE notices (id {ID}, body TEXT NOT NULL);"
        ))
        .await;
        let report = report(
            db.pool(),
            &tenancy_access::schema::models().with::<Notice>(),
        )
        .await;
        assert!(report.findings().is_empty(), "{report}");
    }

    #[tokio::test]
    async fn one_table_declared_global_and_scoped_is_reported() {
        let db = database(&org_units(ID)).await;
        // What the mistake does: the scoped model keeps the organizations
        // apart, the global one over the same rows does not.
        let org = Scope::for_job(OrgId::new(1), "audit suite");
        let scoped = OrgUnit::select(&org).count(db.pool()).await.unwrap();
        let global = Unit::select().count(db.pool()).await.unwrap();
        assert_eq!((scoped, global), (1, 2));

        let models = tenancy_access::schema::models()
            .with::<Unit>()
            .with::<OrgUnit>();
        let report = report(db.pool(), &models).await;
        assert!(!report.is_clean(), "{report}");
        assert_eq!(labels(&report), sorted(&KINDS_DIFFER), "{report}");
    }

    #[tokio::test]
    async fn one_table_declared_by_two_models_of_one_kind_is_clean() {
        let db = database(&format!(
            "CREATE TABLE units (id {ID}, name TEXT NOT NULL);"
        ))
        .await;
        let models = tenancy_access::schema::models()
            .with::<Unit>()
            .with::<UnitName>();
        let report = report(db.pool(), &models).await;
        assert!(report.findings().is_empty(), "{report}");
    }

    #[tokio::test]
    async fn a_table_declared_twice_is_reported_once() {
        let db = database("").await;
        let models = tenancy_access::schema::models()
            .with::<Unit>()
            .with::<UnitName>();
        let report = report(db.pool(), &models).await;
        assert_eq!(
            labels(&report),
            sorted(&["missing table units"]),
            "{report}"
        );
    }
}

mod postgres {
    use super::*;

    const ID: &str = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY";

    /// `schema` beside the library's tables, with the models' row-level
    /// security, used through a role made as production should make it.
    async fn database(
        schema: &str,
        models: &ddl::Models,
    ) -> Option<tenancy_tests::TestDb<Postgres>> {
        tenancy_tests::postgres_with_rls(
            &format!("{}\n{schema}", access::schema::POSTGRES),
            &ddl::row_level_security(models),
        )
        .await
    }

    #[tokio::test]
    async fn a_global_model_over_a_table_with_an_organization_column_is_reported() {
        let models = tenancy_access::schema::models().with::<Notice>();
        let Some(db) = database(&notices(ID), &models).await else {
            return;
        };
        // The app's role, with row-level security on every tenant table,
        // reads both organizations' notices: a global table has no policy.
        let mut bodies: Vec<String> = Notice::select()
            .fetch_all(db.pool())
            .await
            .unwrap()
            .into_iter()
            .map(|notice| notice.body)
            .collect();
        bodies.sort();
        assert_eq!(bodies, ["first organization", "second organization"]);

        let report = report(db.pool(), &models).await;
        assert!(!report.is_clean(), "{report}");
        assert_eq!(labels(&report), sorted(&[GLOBAL_WITH_ORG]), "{report}");
    }

    #[tokio::test]
    async fn a_global_model_over_a_reference_to_organizations_is_reported() {
        let models = tenancy_access::schema::models().with::<Notice>();
        let Some(db) = database(&notices_by_reference(ID), &models).await else {
            return;
        };
        let report = report(db.pool(), &models).await;
        assert_eq!(
            labels(&report),
            sorted(&["global with org column notices.posted_by"]),
            "{report}"
        );
    }

    #[tokio::test]
    async fn a_global_model_over_a_global_table_is_clean() {
        let models = tenancy_access::schema::models().with::<Notice>();
        let schema = format!("CREATE TABLE notices (id {ID}, body TEXT NOT NULL);");
        let Some(db) = database(&schema, &models).await else {
            return;
        };
        let report = report(db.pool(), &models).await;
        assert!(report.findings().is_empty(), "{report}");
    }

    #[tokio::test]
    async fn one_table_declared_global_and_scoped_is_reported() {
        let models = tenancy_access::schema::models()
            .with::<Unit>()
            .with::<OrgUnit>();
        let Some(db) = database(&org_units(ID), &models).await else {
            return;
        };
        let report = report(db.pool(), &models).await;
        assert!(!report.is_clean(), "{report}");
        assert_eq!(labels(&report), sorted(&KINDS_DIFFER), "{report}");
    }

    #[tokio::test]
    async fn one_table_declared_by_two_models_of_one_kind_is_clean() {
        let models = tenancy_access::schema::models()
            .with::<Unit>()
            .with::<UnitName>();
        let schema = format!("CREATE TABLE units (id {ID}, name TEXT NOT NULL);");
        let Some(db) = database(&schema, &models).await else {
            return;
        };
        let report = report(db.pool(), &models).await;
        assert!(report.findings().is_empty(), "{report}");
    }
}
