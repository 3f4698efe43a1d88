// A scope sees its members' names, never their emails.
use tenancy_core::Scope;

async fn emails(pool: &sqlx::SqlitePool, scope: &Scope) {
    for member in tenancy_access::members(pool, scope).await.unwrap() {
        let _ = member.email;
    }
}

fn main() {}
