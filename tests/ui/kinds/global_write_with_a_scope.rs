use tenancy_core::{Global, Id, Scope, Scoped};

#[derive(Scoped)]
#[tenancy(table = "units", global)]
struct Unit {
    id: Id<Unit>,
    name: String,
}

async fn create(pool: &sqlx::SqlitePool, scope: &Scope) {
    let _ = Unit::insert(scope, NewUnit { name: "g".into() }).execute(pool).await;
}

fn main() {}
