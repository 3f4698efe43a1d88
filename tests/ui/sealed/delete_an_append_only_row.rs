// Nor a delete, nor an update of every row that matches.
use tenancy_core::{Id, OrgId, Scope, Scoped};

#[derive(Scoped)]
#[tenancy(table = "stock_moves", append_only)]
struct StockMove {
    id: Id<StockMove>,
    organization_id: OrgId,
    quantity: i64,
}

fn erase(scope: &Scope, id: Id<StockMove>) {
    let _ = StockMove::delete(scope, id);
    let _ = StockMove::update_matching(scope, StockMove::QUANTITY.lt(0)).set(StockMove::QUANTITY, 0);
}

fn main() {}
