use tenancy_core::{Id, OrgId, Scope, Scoped};

struct Money(i64);

#[derive(Scoped)]
#[tenancy(table = "invoices", insert_derive())]
struct Invoice {
    id: Id<Invoice>,
    organization_id: OrgId,
    total: Money,
}

async fn list(pool: &sqlx::SqlitePool, scope: &Scope) {
    let _ = Invoice::select(scope).fetch_all(pool).await;
}

fn main() {}
