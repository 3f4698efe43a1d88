use tenancy_core::{OrgId, Scope};

struct Note {
    organization_id: OrgId,
}

fn main() {
    let scope = Scope::for_job(OrgId::new(1), "ui test");
    let note = Note {
        organization_id: OrgId::new(1),
    };
    let _ = scope.ensure_owns(&note);
}
