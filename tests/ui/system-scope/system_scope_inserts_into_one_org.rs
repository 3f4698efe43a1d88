use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
    name: String,
}

async fn create(pool: &sqlx::SqlitePool) {
    let system = tenancy_core::SystemScope::new("import").expect("a reason");
    let new = NewRecipe { name: "Lavender soap".into() };
    let _ = Recipe::insert(&system, new).execute(pool).await;
}

fn main() {}
