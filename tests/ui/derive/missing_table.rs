use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
}

fn main() {}
