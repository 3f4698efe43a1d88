// A role is created, renamed and deactivated by the access rules, which
// check who manages roles and audit it; system roles by a system scope.
use tenancy_access::Role;
use tenancy_core::{Id, Scope, Scoped, Shared, SystemScope};

// Even the insert type, reached through the hidden path, is no way in.
async fn tamper(pool: &sqlx::SqlitePool, scope: &Scope, system: &SystemScope, id: Id<Role>, new: <Role as tenancy_core::__private::Table>::New) {
    let _ = Role::update(scope, id).set(Role::IS_ACTIVE, true).execute(pool).await;
    let _ = Role::insert_system(system, new).execute(pool).await;
}

fn main() {}
