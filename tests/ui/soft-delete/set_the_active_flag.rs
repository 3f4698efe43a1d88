use tenancy_core::{Id, OrgId, Scope, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes", soft_delete)]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
    is_active: bool,
}

async fn hide(pool: &sqlx::SqlitePool, scope: &Scope, id: Id<Recipe>) {
    let _ = Recipe::update(scope, id).set(Recipe::IS_ACTIVE, false).execute(pool).await;
}

fn main() {}
