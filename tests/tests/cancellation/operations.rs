//! The scoping kernel's operations, as futures to cancel: compiled once per
//! backend (`Db` and `Fixture` come from the parent module).

use futures_util::future::BoxFuture;
use tenancy_core::{Global, Id, Order, Scope, Scoped, Shared, SoftDelete, SystemScope};

use super::Fixture;
use crate::models::{
    Ingredient, NewIngredient, NewRecipe, NewRecipeIngredient, NewRole, NewUnit, Recipe,
    RecipeIngredient, Role, Unit, org_id,
};

/// The rows the operations work on.
pub(crate) struct Kitchen {
    pub(crate) scope: Scope,
    pub(crate) system: SystemScope,
    pub(crate) recipe: Id<Recipe>,
    pub(crate) ingredient: Id<Ingredient>,
}

/// Writes the rows through the library on `pool`: a unit; for
/// organization 1 a recipe and an ingredient; for organization 2 a recipe,
/// which a leaked bypass would show.
pub(crate) async fn seed(pool: &sqlx::Pool<super::Db>) -> Kitchen {
    let scope = Scope::for_job(org_id(1), "cancellation suite");
    let system = SystemScope::new("cancellation suite").unwrap();
    let unit = Unit::insert(&system, NewUnit { name: "g".into() })
        .execute(pool)
        .await
        .unwrap();
    let recipe = Recipe::insert(
        &scope,
        NewRecipe {
            name: "Lavender soap".into(),
        },
    )
    .execute(pool)
    .await
    .unwrap();
    let new = NewIngredient {
        name: "Lye".into(),
        unit_id: unit.id,
    };
    let ingredient = Ingredient::insert(&scope, new).execute(pool).await.unwrap();
    let other = Scope::for_job(org_id(2), "cancellation suite");
    Recipe::insert(
        &other,
        NewRecipe {
            name: "Beeswax candle".into(),
        },
    )
    .execute(pool)
    .await
    .unwrap();
    Kitchen {
        scope,
        system,
        recipe: recipe.id,
        ingredient: ingredient.id,
    }
}

/// An operation on the fixture; its result is dropped (a cancelled one has
/// none, and what is checked is the pool afterwards).
pub(crate) type Operation<R> = for<'a> fn(&'a Fixture<R>) -> BoxFuture<'a, ()>;

/// Every operation, by name.
pub(crate) fn all() -> Vec<(&'static str, Operation<Kitchen>)> {
    vec![
        ("find", |fx| {
            Box::pin(async move {
                let _ = Recipe::find(&fx.rows.scope, fx.rows.recipe)
                    .fetch_optional(&fx.pool)
                    .await;
            })
        }),
        ("list", |fx| {
            Box::pin(async move {
                let _ = Recipe::select(&fx.rows.scope).fetch_all(&fx.pool).await;
            })
        }),
        ("filtered list", |fx| {
            Box::pin(async move {
                let _ = Recipe::select(&fx.rows.scope)
                    .filter(Recipe::NAME.like("%soap%"))
                    .order_by(Recipe::NAME, Order::Asc)
                    .limit(10)
                    .fetch_all(&fx.pool)
                    .await;
            })
        }),
        ("count", |fx| {
            Box::pin(async move {
                let _ = Recipe::select(&fx.rows.scope).count(&fx.pool).await;
            })
        }),
        ("insert", |fx| {
            Box::pin(async move {
                let new = NewRecipe {
                    name: "Cancelled soap".into(),
                };
                let _ = Recipe::insert(&fx.rows.scope, new).execute(&fx.pool).await;
            })
        }),
        ("checked insert of an inherited row", |fx| {
            Box::pin(async move {
                let new = NewRecipeIngredient {
                    recipe_id: fx.rows.recipe,
                    ingredient_id: fx.rows.ingredient,
                    quantity: "5 g".into(),
                };
                let _ = RecipeIngredient::insert(&fx.rows.scope, new)
                    .execute(&fx.pool)
                    .await;
            })
        }),
        ("update", |fx| {
            Box::pin(async move {
                let _ = Recipe::update(&fx.rows.scope, fx.rows.recipe)
                    .set(Recipe::NAME, "Lavender soap")
                    .execute(&fx.pool)
                    .await;
            })
        }),
        ("guarded update", |fx| {
            Box::pin(async move {
                let _ = Recipe::update(&fx.rows.scope, fx.rows.recipe)
                    .set(Recipe::NAME, "Lavender soap")
                    .only_if(Recipe::NAME.ne("Discontinued"))
                    .execute(&fx.pool)
                    .await;
            })
        }),
        ("update of many rows", |fx| {
            Box::pin(async move {
                let _ = Recipe::update_matching(&fx.rows.scope, Recipe::NAME.like("%soap%"))
                    .set(Recipe::NAME, "Lavender soap")
                    .execute(&fx.pool)
                    .await;
            })
        }),
        ("insert_many of inherited rows", |fx| {
            Box::pin(async move {
                let rows = (0..3).map(|_| NewRecipeIngredient {
                    recipe_id: fx.rows.recipe,
                    ingredient_id: fx.rows.ingredient,
                    quantity: "1 g".into(),
                });
                let _ = RecipeIngredient::insert_many(&fx.rows.scope, rows)
                    .execute(&fx.pool)
                    .await;
            })
        }),
        ("grouped count", |fx| {
            Box::pin(async move {
                let _ = RecipeIngredient::select(&fx.rows.scope)
                    .group_by(RecipeIngredient::RECIPE_ID)
                    .count()
                    .fetch(&fx.pool)
                    .await;
            })
        }),
        ("Scope::write with a locked select", |fx| {
            Box::pin(async move {
                let scope = &fx.rows.scope;
                let recipe = fx.rows.recipe;
                let _ = scope
                    .write(&fx.pool, |tx| {
                        Box::pin(async move {
                            Recipe::select(scope)
                                .filter(Recipe::ID.eq(recipe))
                                .for_update()
                                .fetch_all(tx)
                                .await?;
                            Recipe::update(scope, recipe)
                                .set(Recipe::NAME, "Lavender soap")
                                .execute(&mut **tx)
                                .await
                        })
                    })
                    .await;
            })
        }),
        ("delete with a cascade", |fx| {
            Box::pin(async move {
                let _ = Recipe::delete(&fx.rows.scope, fx.rows.recipe)
                    .execute(&fx.pool)
                    .await;
            })
        }),
        ("restore with a cascade", |fx| {
            Box::pin(async move {
                let _ = Recipe::restore(&fx.rows.scope, fx.rows.recipe)
                    .execute(&fx.pool)
                    .await;
            })
        }),
        ("join", |fx| {
            Box::pin(async move {
                let _ = Recipe::select(&fx.rows.scope)
                    .with_children::<RecipeIngredient>()
                    .fetch_all(&fx.pool)
                    .await;
            })
        }),
        ("select across organizations", |fx| {
            Box::pin(async move {
                let _ = Recipe::select_across_orgs(&fx.rows.system)
                    .fetch_all(&fx.system_pool)
                    .await;
            })
        }),
        ("system row of a shared table", |fx| {
            Box::pin(async move {
                let new = NewRole {
                    name: "cancelled".into(),
                };
                let _ = Role::insert_system(&fx.rows.system, new)
                    .execute(&fx.system_pool)
                    .await;
            })
        }),
        ("global insert and read", |fx| {
            Box::pin(async move {
                let _ = Unit::insert(
                    &fx.rows.system,
                    NewUnit {
                        name: "cancelled".into(),
                    },
                )
                .execute(&fx.system_pool)
                .await;
                let _ = Unit::select().fetch_all(&fx.pool).await;
            })
        }),
        ("Scope::begin", |fx| {
            Box::pin(async move {
                let Ok(mut tx) = fx.rows.scope.begin(&fx.pool).await else {
                    return;
                };
                let _ = Recipe::find(&fx.rows.scope, fx.rows.recipe)
                    .fetch_optional(&mut *tx)
                    .await;
                let _ = Recipe::update(&fx.rows.scope, fx.rows.recipe)
                    .set(Recipe::NAME, "Lavender soap")
                    .execute(&mut *tx)
                    .await;
                let _ = tx.commit().await;
            })
        }),
        ("SystemScope::begin", |fx| {
            Box::pin(async move {
                let Ok(mut tx) = fx.rows.system.begin(&fx.system_pool).await else {
                    return;
                };
                let _ = Recipe::select_across_orgs(&fx.rows.system)
                    .fetch_all(&mut *tx)
                    .await;
                let _ = tx.commit().await;
            })
        }),
    ]
}
