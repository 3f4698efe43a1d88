// `NULL + 1` is `NULL`: a relative update of a nullable column would lose
// the change silently, so it does not compile.
use tenancy_core::{Id, OrgId, Scope, Scoped};

#[derive(Scoped)]
#[tenancy(table = "lots")]
struct Lot {
    id: Id<Lot>,
    organization_id: OrgId,
    units: Option<i64>,
}

fn count(scope: &Scope, id: Id<Lot>) {
    let _ = Lot::update(scope, id).add(Lot::UNITS, Some(1));
}

fn main() {}
