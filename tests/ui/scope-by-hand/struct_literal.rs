use tenancy_core::{Actor, OrgId, Scope};

fn main() {
    let _ = Scope {
        org: OrgId::new(1),
        actor: Actor::Job { reason: "by hand" },
    };
}
