//! An insert type that deserializes a request body, with serde's field
//! attributes carried over from the model.
use tenancy_core::{Id, OrgId, Scoped};

#[derive(Debug, Scoped, serde::Deserialize)]
#[tenancy(table = "recipes", insert_derive(Debug, serde::Deserialize))]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
    #[serde(rename = "title")]
    name: String,
    #[serde(default)]
    notes: Option<String>,
}

fn main() {
    let new: NewRecipe = serde_json::from_str(r#"{"title": "Lavender soap"}"#).expect("a new recipe");
    assert_eq!(new.name, "Lavender soap");
    assert_eq!(new.notes, None);
    // The organization cannot come from the body: the type has no such field.
    let smuggled: NewRecipe =
        serde_json::from_str(r#"{"title": "x", "organization_id": 2}"#).expect("unknown fields are ignored");
    assert_eq!(smuggled.name, "x");
}
