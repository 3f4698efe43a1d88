use tenancy_core::{Id, OrgId, Scope, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
    name: String,
}

#[derive(Scoped)]
#[tenancy(table = "batches")]
struct Batch {
    id: Id<Batch>,
    organization_id: OrgId,
}

async fn find(pool: &sqlx::SqlitePool, scope: &Scope, batch: Id<Batch>) {
    let _ = Recipe::find(scope, batch).fetch_one(pool).await;
}

fn main() {}
