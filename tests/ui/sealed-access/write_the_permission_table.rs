// The permission table holds what the app declared: `sync_permissions`
// writes it.
use tenancy_access::StoredPermission;
use tenancy_core::{Global, SystemScope};

async fn invent(pool: &sqlx::SqlitePool, system: &SystemScope) {
    let _ = StoredPermission::insert(system, todo!()).execute(pool).await;
}

fn main() {}
