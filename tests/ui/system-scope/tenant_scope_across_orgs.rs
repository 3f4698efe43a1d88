use tenancy_core::{Id, OrgId, Scope, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
    name: String,
}

async fn report(pool: &sqlx::SqlitePool, scope: &Scope) {
    let _ = Recipe::select_across_orgs(scope).fetch_all(pool).await;
}

fn main() {}
