//! Every generated statement, with row-level security on, is planned on an
//! index that leads with the organization: the policies' predicate is
//! evaluated once per statement and does not push the planner off it.

use sea_query::Value;
use serde_json::Value as Json;
use tenancy_core::sea_query;
use tenancy_core::{Id, Scoped, SoftDelete};

use crate::models::{Batch, NewBatch, Recipe, RecipeIngredient};
use crate::setup::{rls, scope};

type Pg = sqlx::Postgres;

/// Binds sea-query's values (of the types these statements use).
fn bind<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    values: &sea_query::Values,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    for value in values.iter() {
        query = match value {
            Value::BigInt(v) => query.bind(*v),
            Value::Int(v) => query.bind(*v),
            Value::BigUnsigned(v) => query.bind(v.map(|n| i64::try_from(n).unwrap())),
            Value::Bool(v) => query.bind(*v),
            Value::String(v) => query.bind(v.clone()),
            other => panic!("a value this test does not bind: {other:?}"),
        };
    }
    query
}

/// Every node of a plan, depth first.
fn nodes(plan: &Json, out: &mut Vec<Json>) {
    out.push(plan.clone());
    for child in plan["Plans"].as_array().into_iter().flatten() {
        nodes(child, out);
    }
    for init in plan["InitPlan"].as_array().into_iter().flatten() {
        nodes(init, out);
    }
}

#[tokio::test]
async fn every_generated_plan_uses_the_organization_index() {
    let Some(db) = rls().await else { return };
    // Enough rows that a sequential scan would lose: 200 recipes, each
    // with a line and a batch, for each of 40 organizations (with 10, the
    // planner may scan a parent table of 2,000 rows rather than its index).
    sqlx::raw_sql(
        "INSERT INTO organizations (id, name)
             SELECT n, 'org ' || n FROM generate_series(111, 140) AS n;
         INSERT INTO units (name) VALUES ('g');
         INSERT INTO recipes (organization_id, name, is_active)
             SELECT o, 'recipe ' || n, TRUE
             FROM generate_series(101, 140) AS o, generate_series(1, 200) AS n;
         INSERT INTO ingredients (organization_id, name, unit_id)
             SELECT o, 'lye', 1 FROM generate_series(101, 140) AS o;
         INSERT INTO recipe_ingredients
             (recipe_id, ingredient_id, quantity, is_active, deactivated_with_parent)
             SELECT r.id, i.id, '1', TRUE, FALSE
             FROM recipes r JOIN ingredients i ON i.organization_id = r.organization_id;
         INSERT INTO batches (organization_id, recipe_id, label)
             SELECT organization_id, id, 'B' FROM recipes;
         ANALYZE;",
    )
    .execute(&db.admin)
    .await
    .unwrap();
    let recipe: i64 =
        sqlx::query_scalar("SELECT id FROM recipes WHERE organization_id = 101 LIMIT 1")
            .fetch_one(&db.admin)
            .await
            .unwrap();
    let line: i64 = sqlx::query_scalar("SELECT id FROM recipe_ingredients WHERE recipe_id = $1")
        .bind(recipe)
        .fetch_one(&db.admin)
        .await
        .unwrap();
    let (s, recipe, line) = (scope(1), Id::<Recipe>::new(recipe), Id::new(line));
    let statements = [
        ("find", Recipe::find(&s, recipe).to_sql::<Pg>()),
        ("list", Recipe::select(&s).limit(20).to_sql::<Pg>()),
        (
            "filtered list",
            Recipe::select(&s)
                .filter(Recipe::NAME.eq("recipe 7".to_owned()))
                .to_sql::<Pg>(),
        ),
        (
            "update",
            Recipe::update(&s, recipe)
                .set(Recipe::NAME, "x".to_owned())
                .to_sql::<Pg>(),
        ),
        ("delete", Recipe::delete(&s, recipe).to_sql::<Pg>()),
        ("restore", Recipe::restore(&s, recipe).to_sql::<Pg>()),
        (
            "inherited find",
            RecipeIngredient::find(&s, line).to_sql::<Pg>(),
        ),
        (
            "inherited list",
            RecipeIngredient::select(&s).limit(20).to_sql::<Pg>(),
        ),
        (
            "checked insert",
            Batch::insert(
                &s,
                NewBatch {
                    recipe_id: recipe,
                    parent_batch_id: None,
                    label: "B".into(),
                },
            )
            .to_sql::<Pg>(),
        ),
        (
            "join",
            Recipe::select(&s)
                .limit(20)
                .with_children::<RecipeIngredient>()
                .to_sql::<Pg>(),
        ),
    ];
    let scoped_tables = ["recipes", "batches", "ingredients"];
    for (name, (sql, values)) in statements {
        let mut tx = s.begin(&db.app).await.unwrap();
        let explain = format!("EXPLAIN (FORMAT JSON) {sql}");
        let row = bind(sqlx::query(sqlx::AssertSqlSafe(explain)), &values)
            .fetch_one(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // `json` travels as its text, which sqlx decodes without its
        // `json` feature once told not to check the type.
        let text: String = sqlx::Row::try_get_unchecked(&row, 0).unwrap();
        let plan: Json = serde_json::from_str(&text).unwrap();
        let mut all = Vec::new();
        nodes(&plan[0]["Plan"], &mut all);
        let mut scans = 0;
        for node in &all {
            let kind = node["Node Type"].as_str().unwrap_or_default();
            let Some(table) = node["Relation Name"].as_str() else {
                continue;
            };
            assert_ne!(kind, "Seq Scan", "{name} scans `{table}` in full: {plan:#}");
            if scoped_tables.contains(&table) && kind != "ModifyTable" {
                scans += 1;
            }
        }
        // Every index condition on a scoped table names the organization
        // (the keys are `(organization_id, id)`), or the row's id in the
        // `UNIQUE (id)` key that inherited tables' plain foreign keys need:
        // one row either way, found without reading other organizations'.
        for node in &all {
            if let Some(condition) = node["Index Cond"].as_str()
                && node["Index Name"]
                    .as_str()
                    .is_some_and(|index| scoped_tables.iter().any(|t| index.starts_with(t)))
            {
                assert!(
                    condition.contains("organization_id") || condition.starts_with("(id = "),
                    "{name}: {condition} in {plan:#}"
                );
            }
        }
        assert!(
            scans > 0 || name.starts_with("inherited"),
            "{name}: {plan:#}"
        );
    }
}
