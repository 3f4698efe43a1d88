use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "units", global)]
struct Unit {
    id: Id<Unit>,
}

#[derive(Scoped)]
#[tenancy(table = "ingredients")]
struct Ingredient {
    id: Id<Ingredient>,
    organization_id: OrgId,
    #[tenancy(references = Unit)]
    unit_id: Id<Unit>,
}

fn main() {}
