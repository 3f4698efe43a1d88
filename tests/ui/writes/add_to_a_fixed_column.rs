// A relative update is an update: it cannot change a fixed column.
use tenancy_core::{Id, OrgId, Scope, Scoped};

#[derive(Scoped)]
#[tenancy(table = "lots")]
struct Lot {
    id: Id<Lot>,
    organization_id: OrgId,
    #[tenancy(fixed)]
    received: i64,
}

fn bump(scope: &Scope, id: Id<Lot>) {
    let _ = Lot::update(scope, id).add(Lot::RECEIVED, 1);
}

fn main() {}
