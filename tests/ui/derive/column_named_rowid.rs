// SQLite reads `rowid`, `oid` and `_rowid_` as the row id: a data column of
// one of those names would set the INTEGER PRIMARY KEY.
use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "recipes")]
struct Recipe {
    id: Id<Recipe>,
    organization_id: OrgId,
    #[tenancy(column = "ROWID")]
    number: i64,
    oid: i64,
}

fn main() {}
