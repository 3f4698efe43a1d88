use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "seats")]
struct Seat {
    id: Id<Seat>,
    organization_id: OrgId,
    table: i64,
}

fn main() {}
