//! Inherited, shared and global tables, soft delete with cascades and
//! checked references. Compiled once per backend: `Db` and `db()` come from
//! the parent module.

use sqlx::Pool;
use tenancy_core::{Error, Global, Id, Scope, Scoped, Shared, SoftDelete, SystemScope};

use super::{Db, db};
use crate::models::{
    Batch, Ingredient, Member, NewBatch, NewIngredient, NewMember, NewRecipe, NewRecipeIngredient,
    NewRole, NewRoleAssignment, NewUnit, Recipe, RecipeIngredient, Role, RoleAssignment, Unit,
    org_id,
};

fn scope(org: i64) -> Scope {
    Scope::for_job(org_id(org), "kinds suite")
}

fn system() -> SystemScope {
    SystemScope::new("kinds suite").expect("a reason")
}

async fn unit(pool: &Pool<Db>, name: &str) -> Unit {
    Unit::insert(&system(), NewUnit { name: name.into() })
        .execute(pool)
        .await
        .unwrap()
}

async fn recipe(pool: &Pool<Db>, org: i64, name: &str) -> Recipe {
    Recipe::insert(&scope(org), NewRecipe { name: name.into() })
        .execute(pool)
        .await
        .unwrap()
}

async fn ingredient(pool: &Pool<Db>, org: i64, name: &str, unit: &Unit) -> Ingredient {
    let new = NewIngredient {
        name: name.into(),
        unit_id: unit.id,
    };
    Ingredient::insert(&scope(org), new)
        .execute(pool)
        .await
        .unwrap()
}

fn line(recipe: &Recipe, ingredient: &Ingredient, quantity: &str) -> NewRecipeIngredient {
    NewRecipeIngredient {
        recipe_id: recipe.id,
        ingredient_id: ingredient.id,
        quantity: quantity.into(),
    }
}

/// Two organizations, each with a recipe of two ingredient lines.
struct Kitchen {
    recipes: [Recipe; 2],
    ingredients: [Ingredient; 2],
    lines: [Vec<RecipeIngredient>; 2],
}

async fn kitchen(pool: &Pool<Db>) -> Kitchen {
    let grams = unit(pool, "g").await;
    let mut recipes = Vec::new();
    let mut ingredients = Vec::new();
    let mut lines = Vec::new();
    for org in [1, 2] {
        let r = recipe(pool, org, "Lavender soap").await;
        let i = ingredient(pool, org, "Lye", &grams).await;
        let mut own = Vec::new();
        for quantity in ["10", "20"] {
            let l = RecipeIngredient::insert(&scope(org), line(&r, &i, quantity))
                .execute(pool)
                .await
                .unwrap();
            own.push(l);
        }
        recipes.push(r);
        ingredients.push(i);
        lines.push(own);
    }
    let [r1, r2]: [Recipe; 2] = recipes.try_into().unwrap();
    let [i1, i2]: [Ingredient; 2] = ingredients.try_into().unwrap();
    let [l1, l2]: [Vec<RecipeIngredient>; 2] = lines.try_into().unwrap();
    Kitchen {
        recipes: [r1, r2],
        ingredients: [i1, i2],
        lines: [l1, l2],
    }
}

async fn count_lines(pool: &Pool<Db>) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM recipe_ingredients")
        .fetch_one(pool)
        .await
        .unwrap()
}

fn field_of(error: &Error) -> Option<&str> {
    match error {
        Error::Invalid { field, .. } => Some(field),
        _ => None,
    }
}

#[tokio::test]
async fn inherited_rows_are_scoped_through_their_parent() {
    let Some(db) = db().await else { return };
    let k = kitchen(&db).await;
    for (n, org) in [1, 2].into_iter().enumerate() {
        let listed = RecipeIngredient::select(&scope(org))
            .fetch_all(db.pool())
            .await
            .unwrap();
        assert_eq!(listed, k.lines[n], "org {org} sees its own lines only");
    }
    let foreign = &k.lines[1][0];
    let found = RecipeIngredient::find(&scope(1), foreign.id)
        .fetch_optional(db.pool())
        .await
        .unwrap();
    assert_eq!(found, None);
    let deleted = RecipeIngredient::delete(&scope(1), foreign.id)
        .execute(db.pool())
        .await
        .unwrap_err();
    assert!(matches!(deleted, Error::NotFound { .. }), "{deleted:?}");
    let updated = RecipeIngredient::update(&scope(1), foreign.id)
        .set(RecipeIngredient::QUANTITY, "999")
        .execute(db.pool())
        .await
        .unwrap_err();
    assert!(matches!(updated, Error::NotFound { .. }), "{updated:?}");
    let stored = RecipeIngredient::find(&scope(2), foreign.id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(&stored, foreign, "another org's line is untouched");
}

#[tokio::test]
async fn inherited_writes_verify_the_parent_and_write_nothing_otherwise() {
    let Some(db) = db().await else { return };
    let k = kitchen(&db).await;
    let before = count_lines(db.admin()).await;

    // Org 1 smuggles org 2's recipe as the parent.
    let smuggled = line(&k.recipes[1], &k.ingredients[0], "5");
    let err = RecipeIngredient::insert(&scope(1), smuggled)
        .execute(db.pool())
        .await
        .unwrap_err();
    assert_eq!(field_of(&err), Some("recipe_id"), "{err:?}");
    // And org 2's ingredient under its own recipe.
    let smuggled = line(&k.recipes[0], &k.ingredients[1], "5");
    let err = RecipeIngredient::insert(&scope(1), smuggled)
        .execute(db.pool())
        .await
        .unwrap_err();
    assert_eq!(field_of(&err), Some("ingredient_id"), "{err:?}");
    assert_eq!(
        count_lines(db.admin()).await,
        before,
        "refused inserts write nothing"
    );

    // Moving a line under another org's recipe is refused too.
    let own = &k.lines[0][0];
    let err = RecipeIngredient::update(&scope(1), own.id)
        .set(RecipeIngredient::RECIPE_ID, k.recipes[1].id)
        .execute(db.pool())
        .await
        .unwrap_err();
    assert_eq!(field_of(&err), Some("recipe_id"), "{err:?}");
    // Under another recipe of its own organization, it moves.
    let second = recipe(&db, 1, "Rose soap").await;
    let moved = RecipeIngredient::update(&scope(1), own.id)
        .set(RecipeIngredient::RECIPE_ID, second.id)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(moved.recipe_id, second.id);
}

#[tokio::test]
async fn shared_rows_are_read_with_system_rows_and_written_by_their_org_only() {
    let Some(db) = db().await else { return };
    let owner = Role::insert_system(
        &system(),
        NewRole {
            name: "owner".into(),
        },
    )
    .execute(db.system())
    .await
    .unwrap();
    assert_eq!(owner.organization_id, None);
    let baker = Role::insert(
        &scope(1),
        NewRole {
            name: "baker".into(),
        },
    )
    .execute(db.pool())
    .await
    .unwrap();
    assert_eq!(baker.organization_id, Some(org_id(1)));
    let chandler = Role::insert(
        &scope(2),
        NewRole {
            name: "chandler".into(),
        },
    )
    .execute(db.pool())
    .await
    .unwrap();

    let seen = Role::select(&scope(1)).fetch_all(db.pool()).await.unwrap();
    assert_eq!(seen, vec![owner.clone(), baker.clone()]);
    assert!(
        Role::find(&scope(1), chandler.id)
            .fetch_optional(db.pool())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        Role::find(&scope(1), owner.id)
            .fetch_one(db.pool())
            .await
            .unwrap(),
        owner
    );

    let renamed = Role::update(&scope(1), owner.id)
        .set(Role::NAME, "mine now")
        .execute(db.pool())
        .await
        .unwrap_err();
    assert!(matches!(renamed, Error::Forbidden), "{renamed:?}");
    let removed = Role::delete(&scope(1), owner.id)
        .execute(db.pool())
        .await
        .unwrap_err();
    assert!(matches!(removed, Error::Forbidden), "{removed:?}");
    let foreign = Role::update(&scope(1), chandler.id)
        .set(Role::NAME, "stolen")
        .execute(db.pool())
        .await
        .unwrap_err();
    assert!(matches!(foreign, Error::NotFound { .. }), "{foreign:?}");
    assert_eq!(
        Role::find(&scope(2), chandler.id)
            .fetch_one(db.pool())
            .await
            .unwrap(),
        chandler
    );

    let own = Role::update(&scope(1), baker.id)
        .set(Role::NAME, "head baker")
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(own.name, "head baker");
    let system_rename = Role::update_system(&system(), owner.id)
        .set(Role::NAME, "organization owner")
        .execute(db.system())
        .await
        .unwrap();
    assert_eq!(system_rename.name, "organization owner");
    let not_system = Role::delete_system(&system(), baker.id)
        .execute(db.system())
        .await
        .unwrap_err();
    assert!(
        matches!(not_system, Error::NotFound { .. }),
        "{not_system:?}"
    );
    Role::delete_system(&system(), owner.id)
        .execute(db.system())
        .await
        .unwrap();
    assert_eq!(Role::select(&scope(1)).count(db.pool()).await.unwrap(), 1);
}

#[tokio::test]
async fn global_rows_are_read_by_anyone_and_written_with_a_system_scope() {
    let Some(db) = db().await else { return };
    let grams = unit(&db, "g").await;
    let litres = unit(&db, "l").await;
    assert_eq!(
        Unit::select().fetch_all(db.pool()).await.unwrap(),
        vec![grams.clone(), litres.clone()]
    );
    assert_eq!(
        Unit::find(grams.id).fetch_one(db.pool()).await.unwrap(),
        grams
    );
    let renamed = Unit::update(&system(), litres.id)
        .set(Unit::NAME, "L")
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(renamed.name, "L");
    Unit::delete(&system(), litres.id)
        .execute(db.pool())
        .await
        .unwrap();
    let gone = Unit::find(litres.id)
        .fetch_one(db.pool())
        .await
        .unwrap_err();
    assert!(matches!(gone, Error::NotFound { table: "units" }));
}

#[tokio::test]
async fn soft_delete_hides_rows_until_restored() {
    let Some(db) = db().await else { return };
    let soap = recipe(&db, 1, "Soap").await;
    let candle = recipe(&db, 1, "Candle").await;
    assert!(soap.is_active);

    Recipe::delete(&scope(1), soap.id)
        .execute(db.pool())
        .await
        .unwrap();
    let listed = Recipe::select(&scope(1))
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(listed, vec![candle.clone()]);
    assert!(
        Recipe::find(&scope(1), soap.id)
            .fetch_optional(db.pool())
            .await
            .unwrap()
            .is_none()
    );
    let all = Recipe::select(&scope(1))
        .include_inactive()
        .count(db.pool())
        .await
        .unwrap();
    assert_eq!(all, 2);
    let inactive = Recipe::find(&scope(1), soap.id)
        .include_inactive()
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert!(!inactive.is_active);

    let again = Recipe::delete(&scope(1), soap.id)
        .execute(db.pool())
        .await
        .unwrap_err();
    assert!(
        matches!(again, Error::NotFound { .. }),
        "a deleted row is gone: {again:?}"
    );
    let edit = Recipe::update(&scope(1), soap.id)
        .set(Recipe::NAME, "Ghost")
        .execute(db.pool())
        .await
        .unwrap_err();
    assert!(matches!(edit, Error::NotFound { .. }), "{edit:?}");

    let foreign = Recipe::restore(&scope(2), soap.id)
        .execute(db.pool())
        .await
        .unwrap_err();
    assert!(matches!(foreign, Error::NotFound { .. }), "{foreign:?}");
    let restored = Recipe::restore(&scope(1), soap.id)
        .execute(db.pool())
        .await
        .unwrap();
    assert!(restored.is_active);
    assert_eq!(Recipe::select(&scope(1)).count(db.pool()).await.unwrap(), 2);
    let twice = Recipe::restore(&scope(1), soap.id)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(twice, restored, "restoring an active row changes nothing");
}

#[tokio::test]
async fn a_cascade_restores_exactly_what_the_delete_deactivated() {
    let Some(db) = db().await else { return };
    let owner_role = Role::insert_system(
        &system(),
        NewRole {
            name: "owner".into(),
        },
    )
    .execute(db.system())
    .await
    .unwrap();
    let baker_role = Role::insert(
        &scope(1),
        NewRole {
            name: "baker".into(),
        },
    )
    .execute(db.pool())
    .await
    .unwrap();
    let ada = Member::insert(&scope(1), NewMember { name: "Ada".into() })
        .execute(db.pool())
        .await
        .unwrap();
    let assign = |role: Id<Role>| NewRoleAssignment {
        member_id: ada.id,
        role_id: role,
    };
    let as_owner = RoleAssignment::insert(&scope(1), assign(owner_role.id))
        .execute(db.pool())
        .await
        .unwrap();
    let as_baker = RoleAssignment::insert(&scope(1), assign(baker_role.id))
        .execute(db.pool())
        .await
        .unwrap();
    let revoked = RoleAssignment::insert(&scope(1), assign(baker_role.id))
        .execute(db.pool())
        .await
        .unwrap();
    RoleAssignment::delete(&scope(1), revoked.id)
        .execute(db.pool())
        .await
        .unwrap();

    Member::delete(&scope(1), ada.id)
        .execute(db.pool())
        .await
        .unwrap();
    let active = RoleAssignment::select(&scope(1))
        .count(db.pool())
        .await
        .unwrap();
    assert_eq!(active, 0, "deleting the member deactivates its assignments");

    Member::restore(&scope(1), ada.id)
        .execute(db.pool())
        .await
        .unwrap();
    let back = RoleAssignment::select(&scope(1))
        .fetch_all(db.pool())
        .await
        .unwrap();
    let ids: Vec<_> = back.iter().map(|a| a.id).collect();
    assert_eq!(
        ids,
        vec![as_owner.id, as_baker.id],
        "the revoked one stays revoked"
    );
    assert!(back.iter().all(|a| a.active && !a.deactivated_with_parent));

    // A recipe's lines follow it the same way.
    let k = kitchen(&db).await;
    Recipe::delete(&scope(1), k.recipes[0].id)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(
        RecipeIngredient::select(&scope(1))
            .count(db.pool())
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        RecipeIngredient::select(&scope(2))
            .count(db.pool())
            .await
            .unwrap(),
        2,
        "another org's lines are untouched"
    );
    Recipe::restore(&scope(1), k.recipes[0].id)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(
        RecipeIngredient::select(&scope(1))
            .count(db.pool())
            .await
            .unwrap(),
        2
    );
}

#[tokio::test]
async fn a_cascade_in_a_callers_transaction_rolls_back_with_it() {
    let Some(db) = db().await else { return };
    let k = kitchen(&db).await;
    let mut tx = scope(1).begin(db.pool()).await.unwrap();
    Recipe::delete(&scope(1), k.recipes[0].id)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(
        RecipeIngredient::select(&scope(1))
            .count(&mut *tx)
            .await
            .unwrap(),
        0
    );
    tx.rollback().await.unwrap();
    assert_eq!(Recipe::select(&scope(1)).count(db.pool()).await.unwrap(), 1);
    assert_eq!(
        RecipeIngredient::select(&scope(1))
            .count(db.pool())
            .await
            .unwrap(),
        2
    );
}

#[tokio::test]
async fn references_stay_inside_the_tenant() {
    let Some(db) = db().await else { return };
    let mine = recipe(&db, 1, "Soap").await;
    let theirs = recipe(&db, 2, "Candle").await;
    let batch = |recipe_id, parent_batch_id| NewBatch {
        recipe_id,
        parent_batch_id,
        label: "B-1".into(),
    };
    let first = Batch::insert(&scope(1), batch(mine.id, None))
        .execute(db.pool())
        .await
        .unwrap();
    let split = Batch::insert(&scope(1), batch(mine.id, Some(first.id)))
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(split.parent_batch_id, Some(first.id));

    let foreign_recipe = Batch::insert(&scope(1), batch(theirs.id, None))
        .execute(db.pool())
        .await
        .unwrap_err();
    assert_eq!(
        field_of(&foreign_recipe),
        Some("recipe_id"),
        "{foreign_recipe:?}"
    );
    let theirs_batch = Batch::insert(&scope(2), batch(theirs.id, None))
        .execute(db.pool())
        .await
        .unwrap();
    let err = Batch::insert(&scope(1), batch(mine.id, Some(theirs_batch.id)))
        .execute(db.pool())
        .await
        .unwrap_err();
    assert_eq!(field_of(&err), Some("parent_batch_id"), "{err:?}");
    let absent = Batch::insert(&scope(1), batch(Id::new(987_654), None))
        .execute(db.pool())
        .await
        .unwrap_err();
    assert_eq!(
        format!("{absent:?}"),
        format!("{foreign_recipe:?}"),
        "another org's id and a missing id are refused alike"
    );
    let err = Batch::update(&scope(1), first.id)
        .set(Batch::RECIPE_ID, theirs.id)
        .execute(db.pool())
        .await
        .unwrap_err();
    assert_eq!(field_of(&err), Some("recipe_id"), "{err:?}");

    // A deactivated recipe is as good as gone.
    Recipe::delete(&scope(1), mine.id)
        .execute(db.pool())
        .await
        .unwrap();
    let err = Batch::insert(&scope(1), batch(mine.id, None))
        .execute(db.pool())
        .await
        .unwrap_err();
    assert_eq!(field_of(&err), Some("recipe_id"), "{err:?}");

    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM batches")
        .fetch_one(db.admin())
        .await
        .unwrap();
    assert_eq!(count, 3, "refused writes wrote nothing");
}

#[tokio::test]
async fn references_to_shared_rows_accept_system_rows_but_not_other_orgs() {
    let Some(db) = db().await else { return };
    let owner = Role::insert_system(
        &system(),
        NewRole {
            name: "owner".into(),
        },
    )
    .execute(db.system())
    .await
    .unwrap();
    let theirs = Role::insert(
        &scope(2),
        NewRole {
            name: "chandler".into(),
        },
    )
    .execute(db.pool())
    .await
    .unwrap();
    let ada = Member::insert(&scope(1), NewMember { name: "Ada".into() })
        .execute(db.pool())
        .await
        .unwrap();
    let bob = Member::insert(&scope(2), NewMember { name: "Bob".into() })
        .execute(db.pool())
        .await
        .unwrap();
    let ok = RoleAssignment::insert(
        &scope(1),
        NewRoleAssignment {
            member_id: ada.id,
            role_id: owner.id,
        },
    )
    .execute(db.pool())
    .await;
    assert!(ok.is_ok(), "a system role may be assigned: {ok:?}");
    let err = RoleAssignment::insert(
        &scope(1),
        NewRoleAssignment {
            member_id: ada.id,
            role_id: theirs.id,
        },
    )
    .execute(db.pool())
    .await
    .unwrap_err();
    assert_eq!(field_of(&err), Some("role_id"), "{err:?}");
    let err = RoleAssignment::insert(
        &scope(1),
        NewRoleAssignment {
            member_id: bob.id,
            role_id: owner.id,
        },
    )
    .execute(db.pool())
    .await
    .unwrap_err();
    assert_eq!(
        field_of(&err),
        Some("member_id"),
        "the field at fault is named: {err:?}"
    );
}

/// Writes a batch of organization 2 that names organization 1's recipe,
/// around the library and with the database's foreign keys off: the kind of
/// row a bug or a hand-written script leaves behind.
async fn smuggle_batch(pool: &Pool<Db>, recipe_of_org_1: Id<Recipe>) {
    let mut conn = pool.acquire().await.unwrap();
    let off = if <Db as sqlx::Database>::NAME == "SQLite" {
        "PRAGMA foreign_keys = OFF"
    } else {
        "SET session_replication_role = replica"
    };
    sqlx::raw_sql(off).execute(&mut *conn).await.unwrap();
    sqlx::query(
        "INSERT INTO batches (organization_id, recipe_id, label) VALUES ($1, $2, 'smuggled')",
    )
    .bind(org_id(2))
    .bind(recipe_of_org_1)
    .execute(&mut *conn)
    .await
    .unwrap();
    let on = if <Db as sqlx::Database>::NAME == "SQLite" {
        "PRAGMA foreign_keys = ON"
    } else {
        "SET session_replication_role = origin"
    };
    sqlx::raw_sql(on).execute(&mut *conn).await.unwrap();
}

#[tokio::test]
async fn parents_come_with_their_children_of_the_same_org_only() {
    let Some(db) = db().await else { return };
    let soap = recipe(&db, 1, "Soap").await;
    let empty = recipe(&db, 1, "Empty").await;
    let theirs = recipe(&db, 2, "Candle").await;
    let new_batch = |recipe_id, label: &str| NewBatch {
        recipe_id,
        parent_batch_id: None,
        label: label.into(),
    };
    let mut batches = Vec::new();
    for label in ["B-1", "B-2"] {
        let batch = Batch::insert(&scope(1), new_batch(soap.id, label))
            .execute(db.pool())
            .await
            .unwrap();
        batches.push(batch);
    }
    Batch::insert(&scope(2), new_batch(theirs.id, "C-1"))
        .execute(db.pool())
        .await
        .unwrap();
    smuggle_batch(db.admin(), soap.id).await;

    let listed = Recipe::select(&scope(1))
        .with_children::<Batch>()
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(
        listed,
        vec![(soap.clone(), batches), (empty.clone(), vec![])]
    );

    let paged = Recipe::select(&scope(1))
        .order_by(Recipe::NAME, tenancy_core::Order::Asc)
        .limit(1)
        .with_children::<Batch>()
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(
        paged,
        vec![(empty, vec![])],
        "paging counts parents, not joined rows"
    );

    // Inherited children come through their parent.
    let k = kitchen(&db).await;
    let with_lines = Recipe::select(&scope(2))
        .filter(Recipe::ID.eq(k.recipes[1].id))
        .with_children::<RecipeIngredient>()
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(with_lines, vec![(k.recipes[1].clone(), k.lines[1].clone())]);
}

#[tokio::test]
async fn the_testing_helper_finds_every_kind_isolated() {
    use tenancy_core::testing::assert_isolated;
    let Some(db) = db().await else { return };
    let pool = db.pool();
    let orgs = [org_id(1), org_id(2)];
    let grams = unit(pool, "g").await;

    assert_isolated::<Recipe, _>(pool, orgs, async |_, n| NewRecipe {
        name: format!("recipe {n}"),
    })
    .await;
    assert_isolated::<Ingredient, _>(pool, orgs, async |_, n| NewIngredient {
        name: format!("ingredient {n}"),
        unit_id: grams.id,
    })
    .await;
    assert_isolated::<Role, _>(pool, orgs, async |_, n| NewRole {
        name: format!("role {n}"),
    })
    .await;
    // Inherited rows and rows with references need rows of their own
    // organization first.
    assert_isolated::<RecipeIngredient, _>(pool, orgs, async |org, n| {
        let scope = Scope::for_job(org, "isolation check");
        let r = Recipe::insert(
            &scope,
            NewRecipe {
                name: format!("parent {n}"),
            },
        )
        .execute(pool)
        .await
        .unwrap();
        let i = Ingredient::insert(
            &scope,
            NewIngredient {
                name: format!("for line {n}"),
                unit_id: grams.id,
            },
        )
        .execute(pool)
        .await
        .unwrap();
        line(&r, &i, "1")
    })
    .await;
    assert_isolated::<Batch, _>(pool, orgs, async |org, n| {
        let scope = Scope::for_job(org, "isolation check");
        let r = Recipe::insert(
            &scope,
            NewRecipe {
                name: format!("for batch {n}"),
            },
        )
        .execute(pool)
        .await
        .unwrap();
        NewBatch {
            recipe_id: r.id,
            parent_batch_id: None,
            label: format!("B-{n}"),
        }
    })
    .await;
}

/// A locked select of a shared table holds the organization's own rows,
/// never the system rows every organization reads (another organization's
/// writes that refer to them would wait for it).
#[tokio::test]
async fn a_locked_select_of_a_shared_table_leaves_system_rows_alone() {
    let Some(db) = db().await else { return };
    let owner = Role::insert_system(
        &system(),
        NewRole {
            name: "owner".into(),
        },
    )
    .execute(db.system())
    .await
    .unwrap();
    let baker = Role::insert(
        &scope(1),
        NewRole {
            name: "baker".into(),
        },
    )
    .execute(db.pool())
    .await
    .unwrap();
    let read = Role::select(&scope(1)).fetch_all(db.pool()).await.unwrap();
    assert_eq!(read.len(), 2, "reads see the system row");
    let scope = scope(1);
    let mut tx = scope.begin(db.pool()).await.unwrap();
    let locked = Role::select(&scope)
        .for_update()
        .fetch_all(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(locked, vec![baker]);
    assert!(!locked.contains(&owner));
}
