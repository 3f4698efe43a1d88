// Invitations are made by `invite`, which stores only the hash of a token
// it draws itself, and used up by `accept_invitation`.
use tenancy_access::Invitation;
use tenancy_core::{Id, Scope, Scoped};

async fn forge(pool: &sqlx::SqlitePool, scope: &Scope, id: Id<Invitation>) {
    let _ = Invitation::insert(scope, todo!()).execute(pool).await;
    let _ = Invitation::update(scope, id)
        .set(Invitation::EMAIL, "attacker@example.com".to_owned())
        .execute(pool)
        .await;
}

fn main() {}
