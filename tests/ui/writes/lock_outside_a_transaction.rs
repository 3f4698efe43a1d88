// A row lock lasts until its transaction ends: on a pool it would end with
// its own statement, so a locked select takes a transaction only.
use tenancy_core::{Id, OrgId, Scope, Scoped};

#[derive(Scoped)]
#[tenancy(table = "lots")]
struct Lot {
    id: Id<Lot>,
    organization_id: OrgId,
    quantity: i64,
}

async fn lock(pool: &sqlx::SqlitePool, scope: &Scope) {
    let _ = Lot::select(scope).for_update().fetch_all(pool).await;
}

fn main() {}
