// An assignment made through the model could give a system role, name any
// `assigned_by` and write no audit row: use `assign_role`.
use tenancy_access::RoleAssignment;
use tenancy_core::{Scope, Scoped};

// Even the insert type, reached through the hidden path, is no way in.
async fn promote(pool: &sqlx::SqlitePool, scope: &Scope, new: <RoleAssignment as tenancy_core::__private::Table>::New) {
    let _ = RoleAssignment::insert(scope, new).execute(pool).await;
}

fn main() {}
