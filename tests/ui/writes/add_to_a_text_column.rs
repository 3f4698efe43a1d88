// Relative updates move numbers: adding to a text column does not compile.
use tenancy_core::{Id, OrgId, Scope, Scoped};

#[derive(Scoped)]
#[tenancy(table = "lots")]
struct Lot {
    id: Id<Lot>,
    organization_id: OrgId,
    label: String,
}

fn relabel(scope: &Scope, id: Id<Lot>) {
    let _ = Lot::update(scope, id).add(Lot::LABEL, String::from("x"));
}

fn main() {}
