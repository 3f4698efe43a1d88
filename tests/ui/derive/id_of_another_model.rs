use tenancy_core::{Id, OrgId, Scoped};

struct Batch;

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Batch>,
    organization_id: OrgId,
}

fn main() {}
