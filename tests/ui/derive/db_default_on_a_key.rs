use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Recipe>,
    #[tenancy(db_default)]
    organization_id: OrgId,
}

fn main() {}
