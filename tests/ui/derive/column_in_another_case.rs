// SQLite ignores the case of names: a data column spelt `Organization_Id`
// would be the organization column there, and `ID` the id.
use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
    #[tenancy(column = "Organization_Id")]
    owner: OrgId,
    #[tenancy(column = "ID")]
    code: i64,
}

fn main() {}
