// A role is created, renamed and deactivated by the access rules, which
// check who manages roles and audit it; system roles by a system scope.
use tenancy_access::Role;
use tenancy_core::{Id, Scope, Scoped, Shared, SystemScope};

async fn tamper(pool: &sqlx::SqlitePool, scope: &Scope, system: &SystemScope, id: Id<Role>) {
    let _ = Role::update(scope, id).set(Role::IS_ACTIVE, true).execute(pool).await;
    let _ = Role::insert_system(system, todo!()).execute(pool).await;
}

fn main() {}
