// A membership made through the model would skip the invitation, its
// checks and its audit row: memberships are written by the access rules.
use tenancy_access::Membership;
use tenancy_core::{Scope, Scoped};

// Even the insert type, reached through the hidden path, is no way in.
async fn join(pool: &sqlx::SqlitePool, scope: &Scope, new: <Membership as tenancy_core::__private::Table>::New) {
    let _ = Membership::insert(scope, new).execute(pool).await;
}

fn main() {}
