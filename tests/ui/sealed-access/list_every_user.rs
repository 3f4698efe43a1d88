// No unscoped user listing exists: a scope reads its organization's
// members (`members`, without emails), a system scope every user (`users`).
use tenancy_access::User;

async fn everyone(pool: &sqlx::SqlitePool) {
    let _ = User::select().fetch_all(pool).await;
}

fn main() {}
