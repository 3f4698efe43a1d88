// An append-only table (a history, a ledger) is corrected by a new row: an
// update of one does not compile.
use tenancy_core::{Id, OrgId, Scope, Scoped};

#[derive(Scoped)]
#[tenancy(table = "stock_moves", append_only)]
struct StockMove {
    id: Id<StockMove>,
    organization_id: OrgId,
    quantity: i64,
}

fn rewrite(scope: &Scope, id: Id<StockMove>) {
    let _ = StockMove::update(scope, id).set(StockMove::QUANTITY, 0);
}

fn main() {}
