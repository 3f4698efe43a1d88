use tenancy_core::{Id, Scope, Scoped};

#[derive(Scoped)]
#[tenancy(table = "units", global)]
struct Unit {
    id: Id<Unit>,
}

async fn list(pool: &sqlx::SqlitePool, scope: &Scope) {
    let _ = <Unit as Scoped>::select(scope).fetch_all(pool).await;
}

fn main() {}
