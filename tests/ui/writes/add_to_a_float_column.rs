// Floats drift: a relative update takes integers and `Amount` only.
use tenancy_core::{Id, OrgId, Scope, Scoped};

#[derive(Scoped)]
#[tenancy(table = "lots")]
struct Lot {
    id: Id<Lot>,
    organization_id: OrgId,
    weight: f64,
}

fn take(scope: &Scope, id: Id<Lot>) {
    let _ = Lot::update(scope, id).subtract(Lot::WEIGHT, 0.5);
}

fn main() {}
