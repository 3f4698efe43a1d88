use tenancy_core::Scope;

tenancy_access::permissions! {
    pub AppPermissions {
        /// Create and edit recipes.
        EditRecipes: "recipes.edit", category "recipes";
    }
}

async fn edit(pool: &sqlx::SqlitePool, scope: &Scope) {
    let _ = tenancy_access::require::<EditRecipe, _, _>(pool, scope).await;
}

fn main() {}
