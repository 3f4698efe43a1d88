// A membership made through the model would skip the invitation, its
// checks and its audit row: memberships are written by the access rules.
use tenancy_access::Membership;
use tenancy_core::{Scope, Scoped};

async fn join(pool: &sqlx::SqlitePool, scope: &Scope) {
    let _ = Membership::insert(scope, todo!()).execute(pool).await;
}

fn main() {}
