use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes", soft_delete)]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
    is_active: i64,
}

fn main() {}
