// The permission table holds what the app declared: `sync_permissions`
// writes it.
use tenancy_access::StoredPermission;
use tenancy_core::{Global, SystemScope};

// Even the insert type, reached through the hidden path, is no way in.
async fn invent(pool: &sqlx::SqlitePool, system: &SystemScope, new: <StoredPermission as tenancy_core::__private::Table>::New) {
    let _ = StoredPermission::insert(system, new).execute(pool).await;
}

fn main() {}
