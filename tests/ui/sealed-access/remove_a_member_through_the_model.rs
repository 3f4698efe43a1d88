// Deleting a membership through the model would skip the owner guard,
// the cascade to its roles and the audit row: use `deactivate_member`.
use tenancy_access::Membership;
use tenancy_core::{Id, Scope, Scoped};

async fn remove(pool: &sqlx::SqlitePool, scope: &Scope, owner: Id<Membership>) {
    let _ = Membership::delete(scope, owner).execute(pool).await;
}

fn main() {}
