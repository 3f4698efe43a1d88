use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
    name: String,
}

async fn remove(pool: &sqlx::SqlitePool, id: Id<Recipe>) {
    let _ = Recipe::delete(id).execute(pool).await;
}

fn main() {}
