//! Users seen through organizations, password sign-in, invitations, the
//! organization's own settings, roles' permissions and sessions ended
//! together. Compiled once per backend: `Db` and `db()` come from the
//! parent module; the helpers here serve the three files.

mod invitations;
mod members;
mod passwords;
mod sign_up;

use chrono::{Duration, Utc};
use sqlx::Pool;
use tenancy_access::billing::BillingPolicy;
use tenancy_access::{
    self as access, AuditQuery, Credential, EventKind, PasswordAttempt, Passwords, SignInError,
};
use tenancy_core::{Scope, UserId};

use super::Db;
use crate::fixtures::{Shop, system};

const PASSWORD: &str = "lavender and lye";

/// Cheap costs: the suite tests the rules, not argon2's strength.
fn passwords() -> Passwords {
    Passwords::new().with_costs(64, 1, 1).unwrap()
}

async fn with_password(pool: &Pool<Db>, passwords: &Passwords, user: UserId) {
    access::set_password(pool, &system(), passwords, user, PASSWORD)
        .await
        .unwrap();
}

async fn password_sign_in(
    pool: &Pool<Db>,
    passwords: &Passwords,
    email: &str,
    password: &str,
    now: chrono::DateTime<Utc>,
) -> Result<access::SessionToken, SignInError> {
    from(pool, passwords, email, password, "192.0.2.1", now).await
}

/// A sign-in from `source`.
async fn from(
    pool: &Pool<Db>,
    passwords: &Passwords,
    email: &str,
    password: &str,
    source: &str,
    now: chrono::DateTime<Utc>,
) -> Result<access::SessionToken, SignInError> {
    let policy = BillingPolicy::default();
    let attempt = PasswordAttempt::new(email, password, source);
    access::sign_in_with_password(
        pool,
        passwords,
        attempt,
        None,
        &policy,
        Duration::hours(1),
        now,
    )
    .await
}

async fn events(pool: &Pool<Db>, s: &Shop, kind: EventKind) -> usize {
    let query = AuditQuery::new().event(kind.as_str()).limit(500);
    access::audit_log(pool, &Scope::for_job(s.org, "people suite"), &query)
        .await
        .unwrap()
        .events
        .len()
}

async fn live(pool: &Pool<Db>, token: &str) -> bool {
    let credential = Credential::Token(token.to_owned());
    access::request_context(pool, &credential, None, Utc::now())
        .await
        .unwrap()
        .is_some()
}

/// A sign-in of soapworks' member with `password` from `source`, in a task
/// of its own: for attempts that race.
fn spawn_sign_in(
    pool: &Pool<Db>,
    passwords: &Passwords,
    password: &'static str,
    source: &'static str,
    now: chrono::DateTime<Utc>,
) -> tokio::task::JoinHandle<Result<access::SessionToken, SignInError>> {
    let (pool, passwords) = (pool.clone(), passwords.clone());
    tokio::spawn(
        async move { from(&pool, &passwords, "member@soapworks", password, source, now).await },
    )
}
