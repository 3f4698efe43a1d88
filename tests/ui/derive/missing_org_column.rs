use tenancy_core::{Id, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Recipe>,
    name: String,
}

fn main() {}
