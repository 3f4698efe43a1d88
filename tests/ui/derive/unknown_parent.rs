use tenancy_core::{Id, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipe_ingredients", parent = Recipe, via = recipe_id)]
struct RecipeIngredient {
    id: Id<RecipeIngredient>,
    recipe_id: Id<Recipe>,
}

fn main() {}
