//! A misspelt attribute is reported alone: the insert type and the column
//! constants still exist, so their uses do not add errors of their own.
use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
    #[tenancy(colunm = "title")]
    name: String,
}

fn main() {
    let _ = NewRecipe { name: "Lavender soap".into() };
    let _ = Recipe::NAME;
}
