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
    name: String,
}

fn main() {
    let scope = Scope::for_job(OrgId::new(1), "ui test");
    let _ = Recipe::select(&scope).filter(Batch::NAME.eq("x"));
}
