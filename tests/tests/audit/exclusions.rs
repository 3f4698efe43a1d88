//! Exclusion constraints of tenant tables on PostgreSQL. PostgreSQL checks
//! them without row-level security, like unique keys: one that does not
//! compare the organization column with `=` refuses an organization's row
//! for a row of another organization it cannot see, which tells it that
//! the row exists.

use tenancy_core::{Error, Id, OrgId, Scope, Scoped, ddl};
use tenancy_tests::TestDb;

use super::{CLEAN, labels, sorted};
use crate::postgres::{as_org, correct_schema, orgs_seen};

/// The model exists for the audit, the DDL and the inserts that show what
/// a constraint tells.
#[allow(dead_code)]
mod model {
    use super::{Id, OrgId, Scoped};

    /// A booking of a room from `starts` to `ends`: bookings of one room
    /// must not overlap.
    #[derive(Debug, Scoped)]
    #[tenancy(table = "bookings")]
    pub(crate) struct Booking {
        id: Id<Booking>,
        organization_id: OrgId,
        pub(crate) room: String,
        pub(crate) starts: i64,
        pub(crate) ends: i64,
    }
}

use model::{Booking, NewBooking};

fn models() -> ddl::Models {
    crate::models().with::<Booking>()
}

/// `bookings` with `exclusions` (clauses of `CREATE TABLE`), beside the
/// correct schema; `btree_gist` gives gist the `=` of `bigint` and `text`.
fn schema(exclusions: &str) -> String {
    format!(
        "{}
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE bookings (
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    room TEXT NOT NULL,
    starts BIGINT NOT NULL,
    ends BIGINT NOT NULL,
    PRIMARY KEY (organization_id, id),
    {exclusions}
);
INSERT INTO organizations (id, name) VALUES (1, 'one'), (2, 'two');",
        correct_schema()
    )
}

async fn database(exclusions: &str) -> Option<TestDb<sqlx::Postgres>> {
    tenancy_tests::postgres_with_rls(&schema(exclusions), &ddl::row_level_security(&models())).await
}

async fn audited(db: &TestDb<sqlx::Postgres>) -> tenancy_core::audit::Report {
    tenancy_core::audit::audit(db.pool(), &models())
        .await
        .unwrap()
}

fn booking(room: &str, starts: i64, ends: i64) -> NewBooking {
    NewBooking {
        room: room.into(),
        starts,
        ends,
    }
}

fn scope(org: i64) -> Scope {
    Scope::for_job(OrgId::new(org), "audit suite")
}

/// Overlapping bookings of one room, without the organization.
const OVERLAP: &str = "CONSTRAINT bookings_overlap EXCLUDE USING gist (room WITH =, \
                       int8range(starts, ends) WITH &&)";

/// The same, per organization, and a btree exclusion with the organization
/// column.
const PER_ORGANIZATION: &str = "CONSTRAINT bookings_overlap EXCLUDE USING gist (organization_id \
                                WITH =, room WITH =, int8range(starts, ends) WITH &&),
    CONSTRAINT bookings_start EXCLUDE USING btree (organization_id WITH =, room WITH =, starts WITH =)";

#[tokio::test]
async fn an_exclusion_without_the_organization_is_reported() {
    let Some(db) = database(OVERLAP).await else {
        return;
    };
    // What the constraint tells: organization 2 cannot see organization 1's
    // booking, but learns of it from the refusal of its own.
    Booking::insert(&scope(1), booking("attic", 10, 20))
        .execute(db.pool())
        .await
        .unwrap();
    let mut tx = as_org(db.pool(), 2).await;
    assert!(
        orgs_seen(&mut tx, "SELECT organization_id FROM bookings")
            .await
            .is_empty()
    );
    drop(tx);
    let refused = Booking::insert(&scope(2), booking("attic", 15, 16))
        .execute(db.pool())
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Conflict { .. }), "{refused:?}");

    let report = audited(&db).await;
    let mut expected = vec!["exclusion without org bookings.bookings_overlap"];
    expected.extend(CLEAN);
    assert_eq!(labels(&report), sorted(&expected), "{report}");
    let line = report
        .findings()
        .iter()
        .map(ToString::to_string)
        .find(|line| line.contains("bookings_overlap"))
        .unwrap();
    assert!(
        line.contains(
            r#"EXCLUDE USING gist ("organization_id" WITH =, room WITH =, int8range(starts, ends) WITH &&)"#
        ),
        "{line}"
    );
}

#[tokio::test]
async fn an_exclusion_per_organization_is_clean() {
    let Some(db) = database(PER_ORGANIZATION).await else {
        return;
    };
    Booking::insert(&scope(1), booking("attic", 10, 20))
        .execute(db.pool())
        .await
        .unwrap();
    // Another organization's booking of its own attic is its own business.
    Booking::insert(&scope(2), booking("attic", 10, 20))
        .execute(db.pool())
        .await
        .unwrap();
    let refused = Booking::insert(&scope(2), booking("attic", 15, 16))
        .execute(db.pool())
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Conflict { .. }), "{refused:?}");

    let report = audited(&db).await;
    assert!(report.is_clean(), "{report}");
    assert_eq!(labels(&report), sorted(&CLEAN), "{report}");
}

#[tokio::test]
async fn an_organization_compared_otherwise_than_by_equality_is_reported() {
    // `<>`: the constraint refuses a row for rows of every other
    // organization, the opposite of keeping them apart.
    let Some(db) = database(
        "CONSTRAINT bookings_elsewhere EXCLUDE USING gist (organization_id WITH <>, room WITH =)",
    )
    .await
    else {
        return;
    };
    let report = audited(&db).await;
    let mut expected = vec!["exclusion without org bookings.bookings_elsewhere"];
    expected.extend(CLEAN);
    assert_eq!(labels(&report), sorted(&expected), "{report}");
}
