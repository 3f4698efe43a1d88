//! (c) Every operation, run through the library on the partitioned schema
//! for each organization: it returns what it should, and [`Probe::run`]
//! checks where it went. The operations build on each other (a recipe
//! inserted first is updated, deleted and restored later), so they run in
//! one sequence per organization.

use sqlx::PgPool;
use tenancy_core::{Error, Id, Order, OrgId, Scoped, SoftDelete};

use crate::probe::Probe;
use crate::schema::{Batch, Fixture, Ingredient, NewBatch, NewRecipe, Recipe, fixture, scope};

/// The partition a row of `table` with this id is stored in: an insert's
/// plan does not say, PostgreSQL routes the row when it runs.
async fn stored_in(pool: &PgPool, table: &str, org: OrgId, id: i64) -> String {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT tableoid::regclass::text FROM {table} WHERE organization_id = $1 AND id = $2"
    )))
    .bind(org.get())
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap()
}

fn names(recipes: &[Recipe]) -> Vec<&str> {
    recipes.iter().map(|r| r.name.as_str()).collect()
}

fn batch_ids(batches: &[Batch]) -> Vec<Id<Batch>> {
    batches.iter().map(|b| b.id).collect()
}

fn refuses_recipe(err: &Error) -> bool {
    matches!(err, Error::Invalid { field, .. } if field == "recipe_id")
}

#[tokio::test]
async fn every_operation_runs_on_one_partition() {
    let Some(fx) = fixture().await else { return };
    let mut probe = Probe::new(&fx).await;
    for n in 0..fx.kitchens.len() {
        operations(&fx, &mut probe, n).await;
    }
    let tally = &probe.tally;
    eprintln!(
        "routing: {} operations ran on one partition each; {} executed plans and {} \
         statements checked",
        tally.operations, tally.plans, tally.statements
    );
    assert_eq!(tally.operations, fx.kitchens.len() * 34);
    assert!(tally.plans >= tally.operations);
}

/// The operations of the `n`th kitchen's organization.
async fn operations(fx: &Fixture, probe: &mut Probe<'_>, n: usize) {
    let k = &fx.kitchens[n];
    let (org, s, foreign) = (k.org, scope(k.org), fx.foreign(n));
    let [r1, r2] = &k.recipes;
    let [b1, b2, b3] = &k.batches;
    let [lye, oil] = &k.ingredients;
    let recipes = &["recipes"];
    let batches = &["batches"];
    let ingredients = &["ingredients"];
    let both = &["recipes", "batches"];

    let new = NewRecipe {
        name: "Mint soap".into(),
    };
    let mint = probe
        .run(org, "insert", recipes, async |tx| {
            Recipe::insert(&s, new).execute(tx).await
        })
        .await
        .unwrap();
    assert_eq!((mint.organization_id, mint.is_active), (org, true));
    let stored = stored_in(fx.pool(), "recipes", org, mint.id.get()).await;
    assert_eq!(stored, fx.home("recipes", org));

    let new = NewBatch {
        recipe_id: mint.id,
        label: "B4".into(),
    };
    let b4 = probe
        .run(org, "insert with a reference", both, async |tx| {
            Batch::insert(&s, new).execute(tx).await
        })
        .await
        .unwrap();
    assert_eq!((b4.recipe_id, b4.organization_id), (mint.id, org));
    let stored = stored_in(fx.pool(), "batches", org, b4.id.get()).await;
    assert_eq!(stored, fx.home("batches", org));

    // Refused without a look at the other organization's partition.
    let new = NewBatch {
        recipe_id: foreign.recipes[0].id,
        label: "smuggled".into(),
    };
    let refused = probe
        .run(org, "refused insert", recipes, async |tx| {
            Batch::insert(&s, new).execute(tx).await
        })
        .await
        .unwrap_err();
    assert!(refuses_recipe(&refused), "{refused:?}");

    let found = probe
        .run(org, "find", recipes, async |tx| {
            Recipe::find(&s, mint.id).fetch_one(tx).await
        })
        .await;
    assert_eq!(found.unwrap(), mint);
    let label = "find of another organization's id";
    let absent = probe
        .run(org, label, recipes, async |tx| {
            Recipe::find(&s, foreign.recipes[0].id)
                .fetch_optional(tx)
                .await
        })
        .await;
    assert_eq!(absent.unwrap(), None);

    // Lists: plain, paged, filtered, ordered.
    let all = probe
        .run(org, "select", recipes, async |tx| {
            Recipe::select(&s).fetch_all(tx).await
        })
        .await;
    assert_eq!(all.unwrap(), [r1.clone(), r2.clone(), mint.clone()]);
    let page = probe
        .run(org, "select with limit and offset", recipes, async |tx| {
            Recipe::select(&s).limit(1).offset(1).fetch_all(tx).await
        })
        .await;
    assert_eq!(page.unwrap(), std::slice::from_ref(r2));
    let first = probe
        .run(org, "select, first row", recipes, async |tx| {
            Recipe::select(&s).fetch_optional(tx).await
        })
        .await;
    assert_eq!(first.unwrap().as_ref(), Some(r1));
    let filtered = probe
        .run(org, "select with a filter", batches, async |tx| {
            let of_r1 = Batch::RECIPE_ID.eq(r1.id);
            Batch::select(&s).filter(of_r1).fetch_all(tx).await
        })
        .await;
    assert_eq!(filtered.unwrap(), [b1.clone(), b2.clone()]);
    let either = probe
        .run(org, "select with an OR filter", recipes, async |tx| {
            let name = Recipe::NAME.eq(r1.name.clone());
            let filter = name.or(Recipe::NAME.like("Mint%"));
            Recipe::select(&s).filter(filter).fetch_all(tx).await
        })
        .await
        .unwrap();
    assert_eq!(names(&either), [r1.name.as_str(), "Mint soap"]);
    let ordered = probe
        .run(org, "select with an order", recipes, async |tx| {
            let select = Recipe::select(&s).order_by(Recipe::NAME, Order::Desc);
            select.fetch_all(tx).await
        })
        .await
        .unwrap();
    let expected = [r2.name.as_str(), "Mint soap", r1.name.as_str()];
    assert_eq!(names(&ordered), expected);
    let label = "select with a filter, an order and a page";
    let stocked = probe
        .run(org, label, ingredients, async |tx| {
            let select = Ingredient::select(&s).filter(Ingredient::STOCK.gte(1_i64));
            let select = select.order_by(Ingredient::NAME, Order::Asc).limit(10);
            select.fetch_all(tx).await
        })
        .await;
    assert_eq!(stocked.unwrap(), std::slice::from_ref(lye));

    let count = probe
        .run(org, "count", batches, async |tx| {
            Batch::select(&s).count(tx).await
        })
        .await;
    assert_eq!(count.unwrap(), 4);
    let count = probe
        .run(org, "count with a filter", batches, async |tx| {
            let of_r1 = Batch::RECIPE_ID.eq(r1.id);
            Batch::select(&s).filter(of_r1).count(tx).await
        })
        .await;
    assert_eq!(count.unwrap(), 2);

    let renamed = probe
        .run(org, "update", recipes, async |tx| {
            let update = Recipe::update(&s, mint.id).set(Recipe::NAME, "Mint soap, v2");
            update.execute(tx).await
        })
        .await;
    assert_eq!(renamed.unwrap().name, "Mint soap, v2");
    let moved = probe
        .run(org, "update of a checked reference", both, async |tx| {
            let update = Batch::update(&s, b4.id).set(Batch::RECIPE_ID, r2.id);
            update.set(Batch::LABEL, "B4, moved").execute(tx).await
        })
        .await
        .unwrap();
    assert_eq!(
        (moved.recipe_id, moved.label.as_str()),
        (r2.id, "B4, moved")
    );
    let refused = probe
        .run(org, "refused update", both, async |tx| {
            let update = Batch::update(&s, b4.id).set(Batch::RECIPE_ID, foreign.recipes[0].id);
            update.execute(tx).await
        })
        .await
        .unwrap_err();
    assert!(refuses_recipe(&refused), "{refused:?}");
    let restocked = probe
        .run(org, "update without soft delete", ingredients, async |tx| {
            let update = Ingredient::update(&s, oil.id).set(Ingredient::STOCK, 7_i64);
            update.execute(tx).await
        })
        .await;
    assert_eq!(restocked.unwrap().stock, 7);
    let label = "update of another organization's id";
    let err = probe
        .run(org, label, ingredients, async |tx| {
            let id = foreign.ingredients[0].id;
            let update = Ingredient::update(&s, id).set(Ingredient::STOCK, 0_i64);
            update.execute(tx).await
        })
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");

    // Soft delete of a child on its own, then of its parent, which
    // cascades to the others.
    probe
        .run(org, "soft delete", batches, async |tx| {
            Batch::delete(&s, b2.id).execute(tx).await
        })
        .await
        .unwrap();
    probe
        .run(org, "soft delete with a cascade", both, async |tx| {
            Recipe::delete(&s, r1.id).execute(tx).await
        })
        .await
        .unwrap();
    let visible = probe
        .run(org, "select after the cascade", batches, async |tx| {
            Batch::select(&s).fetch_all(tx).await
        })
        .await
        .unwrap();
    assert_eq!(batch_ids(&visible), [b3.id, b4.id]);
    let every = probe
        .run(org, "select, inactive included", batches, async |tx| {
            Batch::select(&s).include_inactive().fetch_all(tx).await
        })
        .await
        .unwrap();
    let flags: Vec<(bool, bool)> = every
        .iter()
        .map(|b| (b.is_active, b.deactivated_with_parent))
        .collect();
    assert_eq!(
        flags,
        [(false, true), (false, false), (true, false), (true, false)]
    );
    let count = probe
        .run(org, "count, inactive included", recipes, async |tx| {
            Recipe::select(&s).include_inactive().count(tx).await
        })
        .await;
    assert_eq!(count.unwrap(), 3);
    let gone = probe
        .run(org, "find of an inactive row", recipes, async |tx| {
            Recipe::find(&s, r1.id).fetch_one(tx).await
        })
        .await
        .unwrap_err();
    assert!(gone.is_not_found(), "{gone:?}");
    let inactive = probe
        .run(org, "find, inactive included", recipes, async |tx| {
            Recipe::find(&s, r1.id)
                .include_inactive()
                .fetch_one(tx)
                .await
        })
        .await;
    assert!(!inactive.unwrap().is_active);

    // Restore brings back what the cascade deactivated, not the batch
    // deleted on its own.
    let restored = probe
        .run(org, "restore with a cascade", both, async |tx| {
            Recipe::restore(&s, r1.id).execute(tx).await
        })
        .await;
    assert!(restored.unwrap().is_active);
    let label = "restore of another organization's id";
    let err = probe
        .run(org, label, recipes, async |tx| {
            Recipe::restore(&s, foreign.recipes[1].id).execute(tx).await
        })
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");

    probe
        .run(org, "hard delete", ingredients, async |tx| {
            Ingredient::delete(&s, oil.id).execute(tx).await
        })
        .await
        .unwrap();
    let label = "hard delete of another organization's id";
    let err = probe
        .run(org, label, ingredients, async |tx| {
            Ingredient::delete(&s, foreign.ingredients[0].id)
                .execute(tx)
                .await
        })
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");

    let joined = probe
        .run(org, "parents with children", both, async |tx| {
            Recipe::select(&s)
                .with_children::<Batch>()
                .fetch_all(tx)
                .await
        })
        .await
        .unwrap();
    let shape: Vec<(Id<Recipe>, Vec<Id<Batch>>)> =
        joined.iter().map(|(r, bs)| (r.id, batch_ids(bs))).collect();
    let expected = [
        (r1.id, vec![b1.id]),
        (r2.id, vec![b3.id, b4.id]),
        (mint.id, vec![]),
    ];
    assert_eq!(shape, expected);
    let joined = probe
        .run(org, "parents with children, paged", both, async |tx| {
            let parents = Recipe::select(&s).limit(1).offset(1);
            parents.with_children::<Batch>().fetch_all(tx).await
        })
        .await
        .unwrap();
    let shape: Vec<(Id<Recipe>, usize)> = joined.iter().map(|(r, bs)| (r.id, bs.len())).collect();
    assert_eq!(shape, [(r2.id, 2)]);

    probe
        .run(org, "soft delete without children", recipes, async |tx| {
            Recipe::delete(&s, mint.id).execute(tx).await
        })
        .await
        .unwrap();
    let label = "parents with children, inactive included";
    let joined = probe
        .run(org, label, both, async |tx| {
            let parents = Recipe::select(&s).include_inactive();
            parents.with_children::<Batch>().fetch_all(tx).await
        })
        .await
        .unwrap();
    assert_eq!(joined.len(), 3);
    assert!(!joined[2].0.is_active);
    // Children deleted on their own stay hidden under active parents.
    assert_eq!(batch_ids(&joined[0].1), [b1.id]);
}
