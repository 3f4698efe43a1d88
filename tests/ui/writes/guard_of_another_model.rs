// A guard is a filter on the updated model's own rows: one built from
// another model's column does not compile.
use tenancy_core::{Id, OrgId, Scope, Scoped};

#[derive(Scoped)]
#[tenancy(table = "lots")]
struct Lot {
    id: Id<Lot>,
    organization_id: OrgId,
    quantity: i64,
}

#[derive(Scoped)]
#[tenancy(table = "batches")]
struct Batch {
    id: Id<Batch>,
    organization_id: OrgId,
    quantity: i64,
}

fn take(scope: &Scope, id: Id<Lot>) {
    let _ = Lot::update(scope, id)
        .subtract(Lot::QUANTITY, 3)
        .only_if(Batch::QUANTITY.gte(3));
}

fn main() {}
