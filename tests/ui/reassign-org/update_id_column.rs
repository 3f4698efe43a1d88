use tenancy_core::{Id, OrgId, Scope, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
    name: String,
}

async fn renumber(pool: &sqlx::SqlitePool, scope: &Scope, id: Id<Recipe>) {
    let _ = Recipe::update(scope, id)
        .set(Recipe::ID, Id::new(99))
        .execute(pool)
        .await;
}

fn main() {}
