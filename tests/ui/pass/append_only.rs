// An append-only model is inserted (one row or many), read, filtered and
// summed like any other.
use tenancy_core::{Id, OrgId, Scope, Scoped};

#[derive(Debug, Scoped)]
#[tenancy(table = "stock_moves", append_only)]
struct StockMove {
    id: Id<StockMove>,
    organization_id: OrgId,
    quantity: i64,
}

#[allow(dead_code)]
async fn record(pool: &sqlx::SqlitePool, scope: &Scope) -> tenancy_core::Result<i64> {
    StockMove::insert(scope, NewStockMove { quantity: 5 }).execute(pool).await?;
    StockMove::insert_many(scope, [NewStockMove { quantity: -2 }]).execute(pool).await?;
    let _ = StockMove::select(scope).filter(StockMove::QUANTITY.lt(0)).fetch_all(pool).await?;
    StockMove::select(scope).sum(StockMove::QUANTITY).fetch(pool).await
}

fn main() {}
