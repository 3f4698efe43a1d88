//! The statements `to_sql` gives for one organization, shared by the plan
//! and text checks so that both look at the same list.

use tenancy_core::sea_query::{Value, Values};
use tenancy_core::{Backend, Order, OrgId, Scoped, SoftDelete};

use crate::schema::{
    Batch, Ingredient, Kitchen, NewBatch, NewIngredient, NewRecipe, Recipe, org_value, scope,
};

/// One generated statement of one operation.
pub(crate) struct Case {
    pub(crate) label: &'static str,
    pub(crate) sql: String,
    pub(crate) values: Values,
    /// The partitioned tables the statement reads: its plan must scan
    /// exactly one partition of each. An insert's target is not among them:
    /// PostgreSQL routes the new row when it runs, and `operations.rs`
    /// checks where it lands.
    pub(crate) reads: &'static [&'static str],
    /// For an insert, the values of the new row's fields in insert-column
    /// order, which `Insert::to_sql` leaves as placeholders.
    fields: Option<Vec<Value>>,
}

fn case(
    label: &'static str,
    (sql, values): (String, Values),
    reads: &'static [&'static str],
) -> Case {
    Case {
        label,
        sql,
        values,
        reads,
        fields: None,
    }
}

fn insert(
    label: &'static str,
    statement: (String, Values),
    reads: &'static [&'static str],
    fields: Vec<Value>,
) -> Case {
    Case {
        fields: Some(fields),
        ..case(label, statement, reads)
    }
}

impl Case {
    /// The values to plan the statement with for `org`. `Insert::to_sql`
    /// gives the organization and one distinct stand-in value per field of
    /// the new row (repeated where a checked reference uses it again);
    /// each stand-in is replaced by the field's value, fields numbered by
    /// first appearance.
    pub(crate) fn bindings(&self, org: OrgId) -> Values {
        let Some(fields) = &self.fields else {
            return self.values.clone();
        };
        let org = org_value(org);
        let mut stand_ins: Vec<&Value> = Vec::new();
        for value in self.values.iter() {
            if *value != org && !stand_ins.contains(&value) {
                stand_ins.push(value);
            }
        }
        assert_eq!(
            stand_ins.len(),
            fields.len(),
            "{}: one stand-in per field",
            self.label
        );
        let bound = self.values.iter().map(|value| {
            stand_ins
                .iter()
                .position(|s| *s == value)
                .map_or_else(|| value.clone(), |n| fields[n].clone())
        });
        Values(bound.collect())
    }
}

/// Every statement `to_sql` gives for organization `k.org` on `DB`, but
/// for parents with their children ([`join_cases`]). `foreign` is a
/// kitchen of another organization.
pub(crate) fn cases<DB: Backend>(k: &Kitchen, foreign: &Kitchen) -> Vec<Case> {
    let s = scope(k.org);
    let recipe = &k.recipes[0];
    let batch = &k.batches[0];
    let ingredient = &k.ingredients[0];
    let new_recipe = || NewRecipe {
        name: "Mint soap".into(),
    };
    let new_batch = || NewBatch {
        recipe_id: recipe.id,
        label: "B4".into(),
    };
    let new_ingredient = || NewIngredient {
        name: "Salt".into(),
        stock: 3,
    };
    vec![
        case(
            "find",
            Recipe::find(&s, recipe.id).to_sql::<DB>(),
            &["recipes"],
        ),
        case(
            "find another organization's id",
            Recipe::find(&s, foreign.recipes[0].id).to_sql::<DB>(),
            &["recipes"],
        ),
        case(
            "find, inactive included",
            Recipe::find(&s, recipe.id)
                .include_inactive()
                .to_sql::<DB>(),
            &["recipes"],
        ),
        case(
            "find a batch",
            Batch::find(&s, batch.id).to_sql::<DB>(),
            &["batches"],
        ),
        case(
            "find an ingredient",
            Ingredient::find(&s, ingredient.id).to_sql::<DB>(),
            &["ingredients"],
        ),
        case("select", Recipe::select(&s).to_sql::<DB>(), &["recipes"]),
        case(
            "select with limit",
            Recipe::select(&s).limit(1).to_sql::<DB>(),
            &["recipes"],
        ),
        case(
            "select with limit and offset",
            Recipe::select(&s).limit(2).offset(1).to_sql::<DB>(),
            &["recipes"],
        ),
        case(
            "select with offset",
            Batch::select(&s).offset(1).to_sql::<DB>(),
            &["batches"],
        ),
        case(
            "select with a filter",
            Batch::select(&s)
                .filter(Batch::RECIPE_ID.eq(recipe.id))
                .to_sql::<DB>(),
            &["batches"],
        ),
        case(
            "select with an OR filter",
            Recipe::select(&s)
                .filter(Recipe::NAME.eq("x").or(Recipe::NAME.like("Rose%")))
                .to_sql::<DB>(),
            &["recipes"],
        ),
        case(
            "select with an order",
            Recipe::select(&s)
                .order_by(Recipe::NAME, Order::Desc)
                .to_sql::<DB>(),
            &["recipes"],
        ),
        case(
            "select with a filter, an order and a page",
            Ingredient::select(&s)
                .filter(Ingredient::STOCK.gte(1_i64))
                .filter(Ingredient::NAME.is_in(["Lye", "Oil"]))
                .order_by(Ingredient::STOCK, Order::Desc)
                .limit(10)
                .offset(0)
                .to_sql::<DB>(),
            &["ingredients"],
        ),
        case(
            "select, inactive included",
            Recipe::select(&s).include_inactive().to_sql::<DB>(),
            &["recipes"],
        ),
        case(
            "select with a filter, inactive included",
            Batch::select(&s)
                .include_inactive()
                .filter(Batch::LABEL.ne("B9"))
                .to_sql::<DB>(),
            &["batches"],
        ),
        insert(
            "insert",
            Recipe::insert(&s, new_recipe()).to_sql::<DB>(),
            &[],
            vec![Value::from("Mint soap")],
        ),
        insert(
            "insert with a checked reference",
            Batch::insert(&s, new_batch()).to_sql::<DB>(),
            &["recipes"],
            vec![Value::from(recipe.id.get()), Value::from("B4")],
        ),
        insert(
            "insert without soft delete",
            Ingredient::insert(&s, new_ingredient()).to_sql::<DB>(),
            &[],
            vec![Value::from("Salt"), Value::from(3_i64)],
        ),
        case(
            "update",
            Recipe::update(&s, recipe.id)
                .set(Recipe::NAME, "Lavender soap, v2")
                .to_sql::<DB>(),
            &["recipes"],
        ),
        case(
            "update of a checked reference",
            Batch::update(&s, batch.id)
                .set(Batch::RECIPE_ID, k.recipes[1].id)
                .set(Batch::LABEL, "moved")
                .to_sql::<DB>(),
            &["batches", "recipes"],
        ),
        case(
            "update without soft delete",
            Ingredient::update(&s, ingredient.id)
                .set(Ingredient::STOCK, 7_i64)
                .to_sql::<DB>(),
            &["ingredients"],
        ),
        case(
            "soft delete (cascades to batches)",
            Recipe::delete(&s, recipe.id).to_sql::<DB>(),
            &["recipes"],
        ),
        case(
            "soft delete of a cascade child",
            Batch::delete(&s, batch.id).to_sql::<DB>(),
            &["batches"],
        ),
        case(
            "hard delete",
            Ingredient::delete(&s, ingredient.id).to_sql::<DB>(),
            &["ingredients"],
        ),
        case(
            "restore (cascades to batches)",
            Recipe::restore(&s, recipe.id).to_sql::<DB>(),
            &["recipes"],
        ),
        case(
            "restore of a cascade child",
            Batch::restore(&s, batch.id).to_sql::<DB>(),
            &["batches"],
        ),
    ]
}

/// The statements of parents with their children (`with_children`) for
/// organization `k.org` on `DB`: a list of their own, because the children
/// are the one table a statement reads that the parents' filter does not
/// reach (they are joined to a sub-select), and their plans have a test of
/// their own to say so when they stop pruning.
pub(crate) fn join_cases<DB: Backend>(k: &Kitchen) -> Vec<Case> {
    let s = scope(k.org);
    let reads = &["recipes", "batches"];
    vec![
        case(
            "parents with children",
            Recipe::select(&s).with_children::<Batch>().to_sql::<DB>(),
            reads,
        ),
        case(
            "parents with children, paged",
            Recipe::select(&s)
                .limit(1)
                .offset(1)
                .with_children::<Batch>()
                .to_sql::<DB>(),
            reads,
        ),
        case(
            "parents with children, filtered and ordered",
            Recipe::select(&s)
                .filter(Recipe::NAME.like("%soap%"))
                .order_by(Recipe::NAME, Order::Asc)
                .with_children::<Batch>()
                .to_sql::<DB>(),
            reads,
        ),
        case(
            "parents with children, inactive parents included",
            Recipe::select(&s)
                .include_inactive()
                .with_children::<Batch>()
                .to_sql::<DB>(),
            reads,
        ),
    ]
}
