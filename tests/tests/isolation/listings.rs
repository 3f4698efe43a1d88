//! What every organization lists and counts after each step, against the
//! model. Compiled once per backend.

use sqlx::Pool;
use tenancy_core::{Id, Scope, Scoped};

use super::Db;
use crate::models::{Batch, Recipe, RecipeIngredient, Role, org_id};
use crate::ops::{Model, ORGS};

/// The scope of organization number `org` (from 0).
pub(crate) fn scope(org: usize) -> Scope {
    let n = i64::try_from(org).unwrap() + 1;
    Scope::for_job(org_id(n), "isolation property")
}

fn ids<T>(rows: Vec<T>, id: impl Fn(&T) -> i64) -> Vec<i64> {
    rows.iter().map(id).collect()
}

/// Every organization's listings, against the model.
pub(crate) async fn check_listings(pool: &Pool<Db>, model: &Model) -> Result<(), String> {
    for org in 0..ORGS {
        let s = scope(org);
        let listings = [
            (
                "recipes",
                ids(Recipe::select(&s).fetch_all(pool).await.unwrap(), |r| {
                    r.id.get()
                }),
                model.visible_recipes(org, false),
            ),
            (
                "recipes with inactive",
                ids(
                    Recipe::select(&s)
                        .include_inactive()
                        .fetch_all(pool)
                        .await
                        .unwrap(),
                    |r| r.id.get(),
                ),
                model.visible_recipes(org, true),
            ),
            (
                "recipe lines",
                ids(
                    RecipeIngredient::select(&s).fetch_all(pool).await.unwrap(),
                    |l| l.id.get(),
                ),
                model.visible_lines(org),
            ),
            (
                "batches",
                ids(Batch::select(&s).fetch_all(pool).await.unwrap(), |b| {
                    b.id.get()
                }),
                model.visible_batches(org),
            ),
            (
                "roles",
                ids(Role::select(&s).fetch_all(pool).await.unwrap(), |r| {
                    r.id.get()
                }),
                model.visible_roles(org),
            ),
        ];
        for (what, actual, expected) in listings {
            if actual != expected {
                return Err(format!(
                    "org {org} lists {what} {actual:?}, the model expects {expected:?}"
                ));
            }
        }
        let per_recipe = |counts: Vec<(Id<Recipe>, u64)>| {
            counts
                .into_iter()
                .map(|(recipe, n)| (recipe.get(), n))
                .collect::<Vec<_>>()
        };
        let aggregates = [
            (
                "lines per recipe",
                per_recipe(
                    RecipeIngredient::select(&s)
                        .group_by(RecipeIngredient::RECIPE_ID)
                        .count()
                        .fetch(pool)
                        .await
                        .unwrap(),
                ),
                model.lines_per_recipe(org),
            ),
            (
                "batches per recipe",
                per_recipe(
                    Batch::select(&s)
                        .group_by(Batch::RECIPE_ID)
                        .count()
                        .fetch(pool)
                        .await
                        .unwrap(),
                ),
                model.batches_per_recipe(org),
            ),
        ];
        for (what, actual, expected) in aggregates {
            if actual != expected {
                return Err(format!(
                    "org {org} counts {what} {actual:?}, the model expects {expected:?}"
                ));
            }
        }
        let at_three = RecipeIngredient::select(&s)
            .filter(RecipeIngredient::QUANTITY.eq("3"))
            .count(pool)
            .await
            .unwrap();
        let expected = model
            .lines
            .iter()
            .filter(|l| model.line_visible(org, l) && l.quantity == "3")
            .count() as u64;
        if at_three != expected {
            return Err(format!(
                "org {org} counts {at_three} lines at 3, the model expects {expected}"
            ));
        }
    }
    Ok(())
}
