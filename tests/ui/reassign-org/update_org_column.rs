use tenancy_core::{Id, OrgId, Scope, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
    name: String,
}

async fn move_recipe(pool: &sqlx::SqlitePool, scope: &Scope, id: Id<Recipe>, other_org: OrgId) {
    let _ = Recipe::update(scope, id)
        .set(Recipe::ORGANIZATION_ID, other_org)
        .execute(pool)
        .await;
}

fn main() {}
