use tenancy_core::{Id, OrgId, Scope, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
    name: String,
}

async fn create(pool: &sqlx::SqlitePool, scope: &Scope, other_org: OrgId) {
    let new = NewRecipe {
        organization_id: other_org,
        name: "Lavender soap".into(),
    };
    let _ = Recipe::insert(scope, new).execute(pool).await;
}

fn main() {}
