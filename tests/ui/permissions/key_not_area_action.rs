tenancy_access::permissions! {
    pub AppPermissions {
        /// Create and edit recipes.
        EditRecipes: "Edit recipes", category "recipes";
    }
}

fn main() {
    let _ = AppPermissions::ALL;
}
