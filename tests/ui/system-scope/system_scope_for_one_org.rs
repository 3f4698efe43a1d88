use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
    name: String,
}

async fn list(pool: &sqlx::SqlitePool) {
    let system = tenancy_core::SystemScope::new("report").expect("a reason");
    let _ = Recipe::select(&system).fetch_all(pool).await;
}

fn main() {}
