// Invitations are made by `invite`, which stores only the hash of a token
// it draws itself, and used up by `accept_invitation`.
use tenancy_access::Invitation;
use tenancy_core::{Id, Scope, Scoped};

// Even the insert type, reached through the hidden path, is no way in.
async fn forge(pool: &sqlx::SqlitePool, scope: &Scope, id: Id<Invitation>, new: <Invitation as tenancy_core::__private::Table>::New) {
    let _ = Invitation::insert(scope, new).execute(pool).await;
    let _ = Invitation::update(scope, id)
        .set(Invitation::EMAIL, "attacker@example.com".to_owned())
        .execute(pool)
        .await;
}

fn main() {}
