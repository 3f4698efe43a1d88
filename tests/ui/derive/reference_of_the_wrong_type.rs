use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
}

#[derive(Scoped)]
#[tenancy(table = "batches")]
struct Batch {
    id: Id<Batch>,
    organization_id: OrgId,
    #[tenancy(references = Recipe)]
    recipe_id: i64,
}

fn main() {}
