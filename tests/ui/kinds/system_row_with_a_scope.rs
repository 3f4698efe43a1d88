use tenancy_core::{Id, OrgId, Scope, Scoped, Shared};

#[derive(Scoped)]
#[tenancy(table = "roles", shared)]
struct Role {
    id: Id<Role>,
    organization_id: Option<OrgId>,
    name: String,
}

async fn create(pool: &sqlx::SqlitePool, scope: &Scope) {
    let _ = Role::insert_system(scope, NewRole { name: "owner".into() }).execute(pool).await;
}

fn main() {}
