use tenancy_core::{Id, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Recipe>,
    organization_id: i64,
    name: String,
}

fn main() {}
