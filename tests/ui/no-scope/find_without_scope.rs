use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
    name: String,
}

async fn find(pool: &sqlx::SqlitePool, id: Id<Recipe>) {
    let _ = Recipe::find(id).fetch_one(pool).await;
}

fn main() {}
