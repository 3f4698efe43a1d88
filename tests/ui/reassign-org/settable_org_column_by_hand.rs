// The column constants are built from the model's own list of columns; a
// handle built by hand on the organization column still has its kind, so it
// cannot be set.
use tenancy_core::__private::{Column, kind};
use tenancy_core::{Id, OrgId, Scope, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
    name: String,
}

async fn move_recipe(pool: &sqlx::SqlitePool, scope: &Scope, id: Id<Recipe>, other_org: OrgId) {
    let org = Column::<Recipe, OrgId, kind::DataColumn>::__at::<1>();
    let _ = Recipe::update(scope, id).set(org, other_org).execute(pool).await;
}

fn main() {}
