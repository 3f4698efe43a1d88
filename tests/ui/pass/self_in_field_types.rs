//! `Self` in a field's type names the model, in the insert type too.
use tenancy_core::{Id, OrgId, Scoped};

#[derive(Debug, Scoped)]
#[tenancy(table = "categories")]
struct Category {
    id: Id<Self>,
    organization_id: OrgId,
    parent_id: Option<Id<Self>>,
}

fn main() {
    let parent: Id<Category> = Id::new(1);
    let new = NewCategory {
        parent_id: Some(parent),
    };
    let _ = new.parent_id;
}
