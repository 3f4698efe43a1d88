use tenancy_core::{OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    organization_id: OrgId,
    name: String,
}

fn main() {}
