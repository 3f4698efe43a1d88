use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "batches")]
struct Batch {
    id: Id<Batch>,
    organization_id: OrgId,
    #[tenancy(references = Recipe)]
    recipe_id: Id<Recipe>,
}

fn main() {}
