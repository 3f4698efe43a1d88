//! (a) Plans: what PostgreSQL's planner says a statement will read, and
//! the check that it is one partition of each table, the organization's.

use std::collections::{BTreeMap, BTreeSet};

use sea_query_sqlx::SqlxValues;
use serde_json::Value as Json;
use sqlx::{PgPool, Postgres, Row};
use tenancy_core::OrgId;
use tenancy_core::sea_query::Values;

use crate::cases::{Case, cases, join_cases};
use crate::schema::{Fixture, Kitchen, fixture, partition_of};

/// The relations of the plan of `sql` with `values` bound, as `EXPLAIN
/// (FORMAT JSON)` names them. Unnamed and sent once, so that it is planned
/// for these values (a custom plan) and partitions are pruned at plan
/// time; nothing is executed.
pub(crate) async fn planned_relations(pool: &PgPool, sql: &str, values: Values) -> Vec<String> {
    let row = sqlx::query_with(
        sqlx::AssertSqlSafe(format!("EXPLAIN (FORMAT JSON) {sql}")),
        SqlxValues(values),
    )
    .persistent(false)
    .fetch_one(pool)
    .await
    .unwrap_or_else(|e| panic!("EXPLAIN {sql}: {e}"));
    relation_names(&row.try_get::<Json, _>(0).unwrap())
}

/// Every `"Relation Name"` in a plan: scans and modified tables alike.
pub(crate) fn relation_names(plan: &Json) -> Vec<String> {
    fn walk(plan: &Json, out: &mut Vec<String>) {
        match plan {
            Json::Object(fields) => {
                for (key, value) in fields {
                    match (key.as_str(), value) {
                        ("Relation Name", Json::String(name)) => out.push(name.clone()),
                        _ => walk(value, out),
                    }
                }
            }
            Json::Array(items) => items.iter().for_each(|item| walk(item, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(plan, &mut out);
    out
}

/// Checks the relations of a plan for `org`: every partition it names is
/// `org`'s own partition of its table (none of another organization's),
/// and of each table in `reads` it names exactly one.
pub(crate) fn check_partitions(
    fx: &Fixture,
    names: &[String],
    org: OrgId,
    reads: &[&str],
) -> Result<(), String> {
    let mut seen: BTreeMap<&'static str, BTreeSet<&str>> = BTreeMap::new();
    for name in names {
        if let Some((table, _)) = partition_of(name) {
            seen.entry(table).or_default().insert(name);
        }
    }
    for (table, partitions) in &seen {
        let home = fx.home(table, org);
        if partitions.len() != 1 || !partitions.contains(home) {
            return Err(format!(
                "{table}: the plan names partitions {partitions:?}; only {home} holds the rows \
                 of organization {}",
                org.get()
            ));
        }
    }
    match reads.iter().find(|table| !seen.contains_key(*table)) {
        Some(table) => Err(format!(
            "{table}: the plan names none of its partitions: {names:?}"
        )),
        None => Ok(()),
    }
}

/// Plans the statements `cases` gives for each kitchen (the `n`th) with
/// its organization's values and checks each plan; returns how many.
async fn plan_all(fx: &Fixture, cases: impl Fn(usize, &Kitchen) -> Vec<Case>) -> usize {
    let mut explained = 0;
    for (n, k) in fx.kitchens.iter().enumerate() {
        for case in cases(n, k) {
            let names = planned_relations(fx.pool(), &case.sql, case.bindings(k.org)).await;
            check_partitions(fx, &names, k.org, case.reads).unwrap_or_else(|e| {
                panic!(
                    "{} (organization {}): {e}\n{}",
                    case.label,
                    k.org.get(),
                    case.sql
                )
            });
            explained += 1;
        }
    }
    explained
}

#[tokio::test]
async fn every_generated_statement_plans_one_partition() {
    let Some(fx) = fixture().await else { return };
    let explained = plan_all(&fx, |n, k| cases::<Postgres>(k, fx.foreign(n))).await;
    eprintln!("routing: {explained} generated statements EXPLAINed, each pruned to one partition");
    assert_eq!(explained, fx.kitchens.len() * 26);
}

/// The children are joined to a sub-select of the parents (it has an
/// `ORDER BY`, and may have a `LIMIT`) that PostgreSQL does not flatten,
/// so the parents' organization filter does not reach them, and the join's
/// `"tenancy_child"."organization_id" = "recipes"."organization_id"` tells
/// the planner nothing at plan time: only the join's own comparison with
/// the bound value keeps the plan, and Citus's routing, to one partition
/// of `batches`. `controls.rs` shows the plan without it.
#[tokio::test]
async fn parents_with_children_plan_one_partition_of_the_child() {
    let Some(fx) = fixture().await else { return };
    let explained = plan_all(&fx, |_, k| join_cases::<Postgres>(k)).await;
    eprintln!("routing: {explained} joins of parents and children EXPLAINed");
    assert_eq!(explained, fx.kitchens.len() * 4);
}
