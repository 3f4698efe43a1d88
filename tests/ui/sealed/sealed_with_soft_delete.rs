// Soft delete changes rows, which an append-only model never does; and a
// model is append-only or read-only, not both.
use tenancy_core::{Id, OrgId, Scoped};

#[derive(Scoped)]
#[tenancy(table = "stock_moves", append_only, soft_delete)]
struct StockMove {
    id: Id<StockMove>,
    organization_id: OrgId,
    is_active: bool,
}

#[derive(Scoped)]
#[tenancy(table = "audit", append_only, read_only)]
struct AuditRow {
    id: Id<AuditRow>,
    organization_id: OrgId,
}

fn main() {}
