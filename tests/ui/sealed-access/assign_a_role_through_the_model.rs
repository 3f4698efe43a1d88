// An assignment made through the model could give a system role, name any
// `assigned_by` and write no audit row: use `assign_role`.
use tenancy_access::RoleAssignment;
use tenancy_core::{Scope, Scoped};

async fn promote(pool: &sqlx::SqlitePool, scope: &Scope) {
    let _ = RoleAssignment::insert(scope, todo!()).execute(pool).await;
}

fn main() {}
