// An update of every matching row sets values; moving a value by an amount
// is for one row, whose guard and range are checked and explained.
use tenancy_core::{Id, OrgId, Scope, Scoped};

#[derive(Scoped)]
#[tenancy(table = "lots")]
struct Lot {
    id: Id<Lot>,
    organization_id: OrgId,
    quantity: i64,
}

fn drain(scope: &Scope) {
    let _ = Lot::update_matching(scope, Lot::QUANTITY.gt(0)).subtract(Lot::QUANTITY, 1);
}

fn main() {}
