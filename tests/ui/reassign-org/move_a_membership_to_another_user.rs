use tenancy_access::Membership;
use tenancy_core::{Id, Scope, Scoped};

async fn hijack(pool: &sqlx::SqlitePool, scope: &Scope, id: Id<Membership>) {
    let _ = Membership::update(scope, id)
        .set(Membership::USER_ID, Id::new(99))
        .execute(pool)
        .await;
}

fn main() {}
