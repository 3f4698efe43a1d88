//! The property: whatever sequence of operations runs, every answer and
//! every listing matches the model. Compiled once per backend.

use proptest::test_runner::{Config, TestCaseError, TestRunner};
use sqlx::Pool;
use tenancy_core::{Error, Global, Id, Scoped, Shared, SoftDelete, SystemScope};

use super::listings::{check_listings, scope};
use super::{Db, db};
use crate::models::{
    Batch, Ingredient, NewBatch, NewIngredient, NewRecipe, NewRecipeIngredient, NewRole, NewUnit,
    Recipe, RecipeIngredient, Role, Unit,
};
use crate::ops::{
    BatchRow, CASES, LineRow, MAX_OPS, Model, ORGS, Op, Outcome, RecipeRow, RoleRow, nth, op,
};

/// Empties the tables (through `admin`, which row-level security does not
/// limit) and gives every organization an ingredient.
async fn reset(pool: &Pool<Db>, admin: &Pool<Db>) -> Vec<Id<Ingredient>> {
    let tables = [
        "role_assignments",
        "members",
        "batches",
        "recipe_ingredients",
        "recipes",
        "ingredients",
        "roles",
        "units",
    ];
    for table in tables {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
            .execute(admin)
            .await
            .unwrap();
    }
    let system = SystemScope::new("isolation property").expect("a reason");
    let unit = Unit::insert(&system, NewUnit { name: "g".into() })
        .execute(pool)
        .await
        .unwrap();
    let mut ingredients = Vec::new();
    for org in 0..ORGS {
        let new = NewIngredient {
            name: "lye".into(),
            unit_id: unit.id,
        };
        let ingredient = Ingredient::insert(&scope(org), new)
            .execute(pool)
            .await
            .unwrap();
        ingredients.push(ingredient.id);
    }
    ingredients
}

/// Runs `op`, returning what it answered and what the model expected.
async fn step(
    pool: &Pool<Db>,
    system: &Pool<Db>,
    model: &mut Model,
    ingredients: &[Id<Ingredient>],
    op: &Op,
) -> Option<(Outcome, Outcome)> {
    let invalid = |field: &str| Outcome::Invalid(field.to_owned());
    Some(match *op {
        Op::InsertRecipe { org } => {
            let row = Recipe::insert(&scope(org), NewRecipe { name: "r".into() })
                .execute(pool)
                .await;
            if let Ok(row) = &row {
                model.recipes.push(RecipeRow {
                    id: row.id.get(),
                    org,
                    active: true,
                });
            }
            (row.into(), Outcome::Ok)
        }
        Op::InsertLine { org, recipe } => {
            let recipe = nth(&model.recipes, recipe)?.id;
            let expected = if model.recipe_usable(org, recipe) {
                Outcome::Ok
            } else {
                invalid("recipe_id")
            };
            let new = NewRecipeIngredient {
                recipe_id: Id::new(recipe),
                ingredient_id: ingredients[org],
                quantity: "1".into(),
            };
            let row = RecipeIngredient::insert(&scope(org), new)
                .execute(pool)
                .await;
            if let Ok(row) = &row {
                model.lines.push(LineRow {
                    id: row.id.get(),
                    recipe,
                    active: true,
                    marked: false,
                    quantity: "1",
                });
            }
            (row.into(), expected)
        }
        Op::InsertLines { org, first, second } => {
            let recipes = [
                nth(&model.recipes, first)?.id,
                nth(&model.recipes, second)?.id,
            ];
            let expected = if recipes.iter().all(|r| model.recipe_usable(org, *r)) {
                Outcome::Ok
            } else {
                invalid("recipe_id")
            };
            let rows = recipes.map(|recipe| NewRecipeIngredient {
                recipe_id: Id::new(recipe),
                ingredient_id: ingredients[org],
                quantity: "1".into(),
            });
            let stored = RecipeIngredient::insert_many(&scope(org), rows)
                .execute(pool)
                .await;
            if let Ok(stored) = &stored {
                for (row, recipe) in stored.iter().zip(recipes) {
                    model.lines.push(LineRow {
                        id: row.id.get(),
                        recipe,
                        active: true,
                        marked: false,
                        quantity: "1",
                    });
                }
            }
            (stored.into(), expected)
        }
        Op::GuardLine { org, line } => {
            let row = nth(&model.lines, line)?.clone();
            let expected = if !model.line_visible(org, &row) {
                Outcome::NotFound
            } else if row.quantity == "3" {
                Outcome::ConditionFailed
            } else {
                Outcome::Ok
            };
            let result = RecipeIngredient::update(&scope(org), Id::new(row.id))
                .set(RecipeIngredient::QUANTITY, "3")
                .only_if(RecipeIngredient::QUANTITY.ne("3"))
                .execute(pool)
                .await;
            if result.is_ok() {
                for l in model.lines.iter_mut().filter(|l| l.id == row.id) {
                    l.quantity = "3";
                }
            }
            (result.into(), expected)
        }
        Op::ResetLines { org } => {
            let at_three: Vec<i64> = model
                .lines
                .iter()
                .filter(|l| model.line_visible(org, l) && l.quantity == "3")
                .map(|l| l.id)
                .collect();
            let result =
                RecipeIngredient::update_matching(&scope(org), RecipeIngredient::QUANTITY.eq("3"))
                    .set(RecipeIngredient::QUANTITY, "1")
                    .execute(pool)
                    .await;
            let actual = match result {
                Ok(n) => Outcome::Count(n),
                Err(error) => Err::<(), _>(error).into(),
            };
            if matches!(actual, Outcome::Count(_)) {
                for l in model.lines.iter_mut().filter(|l| at_three.contains(&l.id)) {
                    l.quantity = "1";
                }
            }
            (actual, Outcome::Count(at_three.len() as u64))
        }
        Op::InsertBatch { org, recipe } => {
            let recipe = nth(&model.recipes, recipe)?.id;
            let expected = if model.recipe_usable(org, recipe) {
                Outcome::Ok
            } else {
                invalid("recipe_id")
            };
            let new = NewBatch {
                recipe_id: Id::new(recipe),
                parent_batch_id: None,
                label: "b".into(),
            };
            let row = Batch::insert(&scope(org), new).execute(pool).await;
            if let Ok(row) = &row {
                model.batches.push(BatchRow {
                    id: row.id.get(),
                    org,
                    recipe,
                });
            }
            (row.into(), expected)
        }
        Op::InsertRole { org } => {
            let new = NewRole {
                name: "role".into(),
            };
            let row = match org {
                Some(org) => Role::insert(&scope(org), new).execute(pool).await,
                None => {
                    let across = SystemScope::new("isolation property").expect("a reason");
                    Role::insert_system(&across, new).execute(system).await
                }
            };
            if let Ok(row) = &row {
                model.roles.push(RoleRow {
                    id: row.id.get(),
                    org,
                });
            }
            (row.into(), Outcome::Ok)
        }
        Op::DeleteRecipe { org, recipe } => {
            let row = nth(&model.recipes, recipe)?.clone();
            let expected = if row.org == org && row.active {
                Outcome::Ok
            } else {
                Outcome::NotFound
            };
            let result = Recipe::delete(&scope(org), Id::new(row.id))
                .execute(pool)
                .await;
            if result.is_ok() {
                for r in model.recipes.iter_mut().filter(|r| r.id == row.id) {
                    r.active = false;
                }
                for l in model
                    .lines
                    .iter_mut()
                    .filter(|l| l.recipe == row.id && l.active)
                {
                    l.active = false;
                    l.marked = true;
                }
            }
            (result.into(), expected)
        }
        Op::RestoreRecipe { org, recipe } => {
            let row = nth(&model.recipes, recipe)?.clone();
            let expected = if row.org == org {
                Outcome::Ok
            } else {
                Outcome::NotFound
            };
            let result = Recipe::restore(&scope(org), Id::new(row.id))
                .execute(pool)
                .await;
            if result.is_ok() {
                for r in model.recipes.iter_mut().filter(|r| r.id == row.id) {
                    r.active = true;
                }
                for l in model
                    .lines
                    .iter_mut()
                    .filter(|l| l.recipe == row.id && l.marked)
                {
                    l.active = true;
                    l.marked = false;
                }
            }
            (result.into(), expected)
        }
        Op::DeleteLine { org, line } => {
            let row = nth(&model.lines, line)?.clone();
            let expected = if model.line_visible(org, &row) {
                Outcome::Ok
            } else {
                Outcome::NotFound
            };
            let result = RecipeIngredient::delete(&scope(org), Id::new(row.id))
                .execute(pool)
                .await;
            if result.is_ok() {
                for l in model.lines.iter_mut().filter(|l| l.id == row.id) {
                    l.active = false;
                    l.marked = false;
                }
            }
            (result.into(), expected)
        }
        Op::UpdateLine { org, line } => {
            let row = nth(&model.lines, line)?.clone();
            let expected = if model.line_visible(org, &row) {
                Outcome::Ok
            } else {
                Outcome::NotFound
            };
            let result = RecipeIngredient::update(&scope(org), Id::new(row.id))
                .set(RecipeIngredient::QUANTITY, "2")
                .execute(pool)
                .await;
            if result.is_ok() {
                for l in model.lines.iter_mut().filter(|l| l.id == row.id) {
                    l.quantity = "2";
                }
            }
            (result.into(), expected)
        }
        Op::MoveLine { org, line, recipe } => {
            let row = nth(&model.lines, line)?.clone();
            let target = nth(&model.recipes, recipe)?.id;
            let expected = if !model.line_visible(org, &row) {
                Outcome::NotFound
            } else if model.recipe_usable(org, target) {
                Outcome::Ok
            } else {
                invalid("recipe_id")
            };
            let result = RecipeIngredient::update(&scope(org), Id::new(row.id))
                .set(RecipeIngredient::RECIPE_ID, Id::<Recipe>::new(target))
                .execute(pool)
                .await;
            if result.is_ok() {
                for l in model.lines.iter_mut().filter(|l| l.id == row.id) {
                    l.recipe = target;
                }
            }
            (result.into(), expected)
        }
        Op::DeleteBatch { org, batch } => {
            let row = nth(&model.batches, batch)?.clone();
            let expected = if row.org == org {
                Outcome::Ok
            } else {
                Outcome::NotFound
            };
            let result = Batch::delete(&scope(org), Id::new(row.id))
                .execute(pool)
                .await;
            if result.is_ok() {
                model.batches.retain(|b| b.id != row.id);
            }
            (result.into(), expected)
        }
        Op::RepointBatch { org, batch, recipe } => {
            let row = nth(&model.batches, batch)?.clone();
            let target = nth(&model.recipes, recipe)?.id;
            let expected = if row.org != org {
                Outcome::NotFound
            } else if model.recipe_usable(org, target) {
                Outcome::Ok
            } else {
                invalid("recipe_id")
            };
            let result = Batch::update(&scope(org), Id::new(row.id))
                .set(Batch::RECIPE_ID, Id::<Recipe>::new(target))
                .execute(pool)
                .await;
            if result.is_ok() {
                for b in model.batches.iter_mut().filter(|b| b.id == row.id) {
                    b.recipe = target;
                }
            }
            (result.into(), expected)
        }
        Op::UpdateRole { org, role } | Op::DeleteRole { org, role } => {
            let row = nth(&model.roles, role)?.clone();
            let expected = match row.org {
                Some(owner) if owner == org => Outcome::Ok,
                Some(_) => Outcome::NotFound,
                None => Outcome::Forbidden,
            };
            let result: Result<(), Error> = if matches!(op, Op::UpdateRole { .. }) {
                Role::update(&scope(org), Id::new(row.id))
                    .set(Role::NAME, "renamed")
                    .execute(pool)
                    .await
                    .map(drop)
            } else {
                Role::delete(&scope(org), Id::new(row.id))
                    .execute(pool)
                    .await
            };
            if result.is_ok() && matches!(op, Op::DeleteRole { .. }) {
                model.roles.retain(|r| r.id != row.id);
            }
            (result.into(), expected)
        }
    })
}

async fn run_case(
    pool: &Pool<Db>,
    admin: &Pool<Db>,
    system: &Pool<Db>,
    ops: Vec<Op>,
) -> Result<(), String> {
    let ingredients = reset(pool, admin).await;
    let mut model = Model::default();
    for (n, op) in ops.iter().enumerate() {
        let Some((actual, expected)) = step(pool, system, &mut model, &ingredients, op).await
        else {
            continue;
        };
        if actual != expected {
            return Err(format!(
                "step {n} {op:?} answered {actual:?}, expected {expected:?}"
            ));
        }
        check_listings(pool, &model)
            .await
            .map_err(|e| format!("after step {n} {op:?}: {e}"))?;
    }
    Ok(())
}

#[test]
fn isolation_holds_for_random_operation_sequences() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(db) = runtime.block_on(db()) else {
        return;
    };
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CASES);
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let strategy = proptest::collection::vec(op(), 1..MAX_OPS);
    let result = runner.run(&strategy, |ops| {
        runtime
            .block_on(run_case(db.pool(), db.admin(), db.system(), ops))
            .map_err(TestCaseError::fail)
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
