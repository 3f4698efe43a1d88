use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
#[allow(non_snake_case)]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
    name: String,
    #[tenancy(column = "display_name")]
    NAME: String,
}

fn main() {}
