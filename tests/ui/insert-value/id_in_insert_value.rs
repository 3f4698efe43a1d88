use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
    name: String,
}

fn main() {
    let _ = NewRecipe {
        id: Id::new(1),
        name: "Lavender soap".into(),
    };
}
