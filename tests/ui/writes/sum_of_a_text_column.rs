// Sums are of exact numbers: a text column cannot be summed.
use tenancy_core::{Id, OrgId, Scope, Scoped};

#[derive(Scoped)]
#[tenancy(table = "lots")]
struct Lot {
    id: Id<Lot>,
    organization_id: OrgId,
    label: String,
}

fn total(scope: &Scope) {
    let _ = Lot::select(scope).sum(Lot::LABEL);
}

fn main() {}
