// Declaring the organization column a second time, as a data column, to
// build a settable handle on it, conflicts with the derive's declaration.
use tenancy_core::__private::{ColumnAt, kind};
use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
    name: String,
}

impl ColumnAt<1> for Recipe {
    type Kind = kind::DataColumn;
    type Value = OrgId;
}

fn main() {}
