use tenancy_core::{Id, Scoped};

#[derive(Scoped)]
#[tenancy(table = "units", global)]
struct Unit {
    id: Id<Unit>,
}

#[derive(Scoped)]
#[tenancy(table = "unit_aliases", parent = Unit, via = unit_id)]
struct UnitAlias {
    id: Id<UnitAlias>,
    unit_id: Id<Unit>,
}

fn main() {}
