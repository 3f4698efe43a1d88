// A read-only model is read through the model and written by the code
// that owns its table.
use tenancy_core::{Global, Id, Scoped, SystemScope};

#[derive(Scoped)]
#[tenancy(table = "tiers", global, read_only)]
struct Tier {
    id: Id<Tier>,
    name: String,
}

fn add(system: &SystemScope) {
    let _ = Tier::insert(system, NewTier { name: "gold".into() });
}

fn main() {}
