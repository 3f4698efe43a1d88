//! Controls: statements that do not keep to one organization fail each
//! check of the suite, so that passing them means something.

use std::collections::BTreeSet;

use sqlx::{Postgres, Sqlite};
use tenancy_core::sea_query::Values;
use tenancy_core::{Scoped, SystemScope};

use crate::cases::join_cases;
use crate::plan::{check_partitions, planned_relations};
use crate::probe::Probe;
use crate::schema::{PARTITIONS, Recipe, fixture, org_value, partition_of};
use crate::text::{Dialect, check_text};

/// Every partition of `table`.
fn every(table: &str) -> BTreeSet<String> {
    (0..PARTITIONS).map(|r| format!("{table}_p{r}")).collect()
}

/// The partitions of `table` among `names`.
fn partitions_of(names: &[String], table: &str) -> BTreeSet<String> {
    let of_table = |name: &&String| partition_of(name).is_some_and(|(t, _)| t == table);
    names.iter().filter(of_table).cloned().collect()
}

/// `sql` with its comparison of the join's child organization column with
/// a placeholder made `TRUE`: the join as it was before the library
/// bound the child's organization, tied to the parents' column only.
fn unbound_join(sql: &str) -> String {
    let needle = r#""tenancy_child"."organization_id" = $"#;
    let at = sql
        .find(needle)
        .expect("the join binds the child's organization");
    let rest = &sql[at + needle.len()..];
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    format!("{}TRUE{}", &sql[..at], &rest[digits..])
}

#[tokio::test]
async fn an_unscoped_statement_touches_every_partition() {
    let Some(fx) = fixture().await else { return };
    let org = fx.kitchens[0].org;
    let across = Recipe::select_across_orgs(&SystemScope::new("routing suite").expect("a reason"));
    let join = join_cases::<Postgres>(&fx.kitchens[0]).swap_remove(0);
    let unbound = unbound_join(&join.sql);

    // (a) Plans.
    for (sql, values) in [
        ("SELECT * FROM recipes".to_owned(), Values(Vec::new())),
        across.to_sql::<Postgres>(),
    ] {
        let names = planned_relations(fx.pool(), &sql, values).await;
        assert_eq!(partitions_of(&names, "recipes"), every("recipes"), "{sql}");
        let refused = check_partitions(&fx, &names, org, &["recipes"]);
        assert!(refused.is_err(), "{sql}: {refused:?}");
    }
    // Without its bound value, the join plans every partition of the
    // children, though the parents name one organization.
    let names = planned_relations(fx.pool(), &unbound, join.values.clone()).await;
    assert_eq!(
        partitions_of(&names, "batches"),
        every("batches"),
        "{unbound}"
    );
    assert!(check_partitions(&fx, &names, org, join.reads).is_err());

    // (b) Text.
    let org_only = || Values(vec![org_value(org)]);
    let (across_pg, across_pg_values) = across.to_sql::<Postgres>();
    let (across_lite, across_lite_values) = across.to_sql::<Sqlite>();
    for (sql, values, dialect) in [
        (
            r#"SELECT "id" FROM "recipes""#,
            Values(Vec::new()),
            Dialect::Postgres,
        ),
        (across_pg.as_str(), across_pg_values, Dialect::Postgres),
        (across_lite.as_str(), across_lite_values, Dialect::Sqlite),
        // A predicate that an OR makes optional.
        (
            r#"SELECT "id" FROM "recipes" WHERE "recipes"."organization_id" = $1 OR TRUE"#,
            org_only(),
            Dialect::Postgres,
        ),
        // Another organization's value.
        (
            r#"SELECT "id" FROM "recipes" WHERE "recipes"."organization_id" = ?"#,
            Values(vec![org_value(fx.kitchens[1].org)]),
            Dialect::Sqlite,
        ),
        // A join whose second table is not tied to the first's organization.
        (
            r#"SELECT 1 FROM "recipes" JOIN "batches" AS "b" ON "b"."recipe_id" = "recipes"."id" WHERE "recipes"."organization_id" = $1"#,
            org_only(),
            Dialect::Postgres,
        ),
        // A child tied to its parents' organization column only.
        (unbound.as_str(), join.values.clone(), Dialect::Postgres),
    ] {
        let refused = check_text(sql, Some(&values), &org_value(org), dialect);
        assert!(refused.is_err(), "{sql}");
    }

    // (c) Execution.
    let mut probe = Probe::new(&fx).await;
    let count_all = async |tx: &mut sqlx::PgConnection| {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM recipes")
            .fetch_one(tx)
            .await
            .unwrap();
        count
    };
    let (count, evidence) = probe.observe(count_all).await;
    assert_eq!(count, 2 * fx.kitchens.len() as i64);
    let touched: BTreeSet<String> = evidence.touched.iter().cloned().collect();
    assert_eq!(touched, every("recipes"));
    assert!(evidence.check(&fx, org, &["recipes"]).is_err());
}
