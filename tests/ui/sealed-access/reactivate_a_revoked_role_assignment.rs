// Revoked roles come back only by being assigned again, audited.
use tenancy_access::RoleAssignment;
use tenancy_core::{Id, Scope, Scoped};

async fn undo(pool: &sqlx::SqlitePool, scope: &Scope, id: Id<RoleAssignment>) {
    let _ = RoleAssignment::update(scope, id)
        .set(RoleAssignment::IS_ACTIVE, true)
        .execute(pool)
        .await;
}

fn main() {}
