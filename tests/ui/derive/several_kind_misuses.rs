//! Conflicting kinds, a `via` without `parent`, a cascade marker without
//! soft delete and a reference on a shared table, reported together.
use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "roles", shared, global, via = parent_id)]
struct Role {
    id: Id<Role>,
    organization_id: Option<OrgId>,
    #[tenancy(references = Role)]
    parent_id: Id<Role>,
    #[tenancy(cascade_marker)]
    deactivated_with_parent: bool,
}

fn main() {}
