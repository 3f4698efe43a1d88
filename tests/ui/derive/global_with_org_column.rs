use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "units", global)]
struct Unit {
    id: Id<Unit>,
    organization_id: OrgId,
}

fn main() {}
