use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
    name: String,
}

async fn list(pool: &sqlx::SqlitePool, org: OrgId) {
    let _ = Recipe::select(&org).fetch_all(pool).await;
}

fn main() {}
