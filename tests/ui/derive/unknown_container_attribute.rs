use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes", tabel = "recipe")]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
}

fn main() {}
