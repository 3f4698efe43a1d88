use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe<T> {
    id: Id<Recipe<T>>,
    organization_id: OrgId,
    data: T,
}

fn main() {}
