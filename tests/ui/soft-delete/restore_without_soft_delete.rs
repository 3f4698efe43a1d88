use tenancy_core::{Id, OrgId, Scope, Scoped, SoftDelete};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
}

async fn restore(pool: &sqlx::SqlitePool, scope: &Scope, id: Id<Recipe>) {
    let _ = Recipe::restore(scope, id).execute(pool).await;
}

fn main() {}
