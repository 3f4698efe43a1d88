//! Signing in: with a password, or as a user the app authenticated itself;
//! and changing a password.
//!
//! Every sign-in ends the same way: the admission rule ([`admit`]) decides
//! whether the user may act for the organization now, the outcome is
//! audited, and a session starts. With a password, an unknown email costs
//! the same work and gets the same answer as a wrong password, and
//! repeated failures slow the account down without ever locking it.

use crate::store::KEY;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use tenancy_core::{ActsAcrossOrgs, Error, OrgId, UserId};

use crate::admission::{Refusal, admit};
use crate::billing::BillingPolicy;
use crate::event_log::{EventKind, NewEvent};
use crate::password::{Passwords, Verdict};
use crate::rules::record;
use crate::session::{Credential, SessionToken, issue_session, request_context, token_hash};
use crate::store::{AccessStore, StoredPassword};
use crate::users::normalized_email;

/// Failed attempts an account takes before sign-in slows it down.
pub const FREE_ATTEMPTS: i32 = 5;

/// The longest an account waits between attempts, however many failed.
pub const MAX_DELAY: Duration = Duration::minutes(5);

/// Why a sign-in gave no session; every one is in the audit log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignInError {
    /// The email and password do not match an account, or the account is
    /// waiting out its delay after repeated failures: the same answer for
    /// all three, so that it does not tell which emails have accounts.
    #[error("the email or password is wrong")]
    InvalidCredentials,
    /// The user may not act for the organization now (see [`admit`]).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// A value was refused ([`Error::Invalid`]), or the database failed.
    #[error(transparent)]
    Failed(#[from] Error),
}

/// How long an account with `failed` failed attempts waits after its last
/// one: nothing for the first [`FREE_ATTEMPTS`], then one second, doubling
/// with each failure, up to [`MAX_DELAY`].
#[must_use]
pub fn delay_after(failed: i32) -> Duration {
    if failed < FREE_ATTEMPTS {
        return Duration::zero();
    }
    let doublings = u32::try_from(failed - FREE_ATTEMPTS)
        .unwrap_or(u32::MAX)
        .min(20);
    Duration::seconds(1_i64 << doublings).min(MAX_DELAY)
}

/// Signs in with an email and a password: the password is verified with
/// argon2id (an outdated hash is replaced), then the user is admitted by
/// the same rule as every request, and a session valid for `ttl` starts.
///
/// `org` is the organization to sign in to; `None` for the user's first.
///
/// # Errors
///
/// [`SignInError::InvalidCredentials`] for an unknown email, a wrong
/// password or an account waiting out its delay (audited as
/// `login.failed`); [`SignInError::Refused`] when the user may not act for
/// the organization now; [`SignInError::Failed`] when the database fails.
#[allow(clippy::too_many_arguments)]
pub async fn sign_in_with_password<DB>(
    pool: &sqlx::Pool<DB>,
    passwords: &Passwords,
    email: &str,
    password: &str,
    org: Option<OrgId>,
    policy: &BillingPolicy,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<SessionToken, SignInError>
where
    DB: AccessStore,
{
    let stored = match normalized_email(email) {
        Ok(email) => {
            let mut conn = crate::store::acquire(pool).await?;
            DB::__password_by_email(KEY, &mut conn, &email).await?
        }
        Err(_) => None,
    };
    let (stored, hash) = match stored {
        Some(stored) => match stored.hash.clone() {
            Some(hash) => (stored, hash),
            None => {
                passwords.verify_nothing(password).await?;
                return Err(failed::<DB>(pool, Some(stored.user), "no password", now).await);
            }
        },
        None => {
            passwords.verify_nothing(password).await?;
            return Err(failed::<DB>(pool, None, "unknown email", now).await);
        }
    };
    let verdict = check::<DB>(pool, passwords, &stored, &hash, password, now).await?;
    let mut conn = crate::store::acquire(pool).await?;
    if verdict.outdated {
        drop(conn);
        let rehashed = passwords.hash(password).await;
        conn = crate::store::acquire(pool).await?;
        // A password that no longer meets the rules still signs in; it is
        // only not rehashed.
        if let Ok(rehashed) = rehashed {
            DB::__set_password(KEY, &mut conn, stored.user, &rehashed, now).await?;
        }
    } else if stored.failed_attempts != 0 {
        DB::__password_succeeded(KEY, &mut conn, stored.user).await?;
    }
    drop(conn);
    sign_in(pool, stored.user, org, policy, ttl, now).await
}

/// Checks `password` against the stored `hash` of `stored`'s user: an
/// account waiting out its delay is refused unverified (so uncounted: one
/// guess per delay), a wrong password is counted; both are audited.
async fn check<DB: AccessStore>(
    pool: &sqlx::Pool<DB>,
    passwords: &Passwords,
    stored: &StoredPassword,
    hash: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<Verdict, SignInError> {
    let waits_until = stored
        .last_failure_at
        .map(|at| at + delay_after(stored.failed_attempts));
    if waits_until.is_some_and(|until| now < until) {
        passwords.verify_nothing(password).await?;
        return Err(failed::<DB>(
            pool,
            Some(stored.user),
            "delayed after failed attempts",
            now,
        )
        .await);
    }
    let verdict = passwords.verify(password, hash).await?;
    if !verdict.matches {
        let mut conn = crate::store::acquire(pool).await?;
        DB::__password_failed(KEY, &mut conn, stored.user, now).await?;
        drop(conn);
        return Err(failed::<DB>(pool, Some(stored.user), "wrong password", now).await);
    }
    Ok(verdict)
}

/// Audits a refused password; the error to answer with:
/// [`SignInError::InvalidCredentials`], unless the audit row failed.
async fn failed<DB: AccessStore>(
    pool: &sqlx::Pool<DB>,
    user: Option<UserId>,
    reason: &str,
    now: DateTime<Utc>,
) -> SignInError {
    let event = NewEvent::new(
        None,
        EventKind::LoginFailed,
        user,
        user,
        json!({ "reason": reason }),
    );
    let recorded = async {
        let mut conn = crate::store::acquire(pool).await?;
        DB::__record(KEY, &mut conn, &event, now).await
    };
    match recorded.await {
        Ok(()) => SignInError::InvalidCredentials,
        Err(error) => error.into(),
    }
}

/// Signs in a user the app has authenticated itself (a verified JWT, a
/// single sign-on callback): refuses, by the same rule as every request
/// ([`admit`]), a user who may not act for the organization now; records
/// `login.succeeded` or `login.failed`; and starts a session valid for
/// `ttl`.
///
/// `org` is the organization to sign in to; `None` for the user's first.
///
/// # Errors
///
/// [`SignInError::Refused`] when the user may not sign in now (an unknown
/// user is not a member); [`SignInError::Failed`] when the database fails.
pub async fn sign_in<DB>(
    pool: &sqlx::Pool<DB>,
    user: UserId,
    org: Option<OrgId>,
    policy: &BillingPolicy,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<SessionToken, SignInError>
where
    DB: AccessStore,
{
    let Some(context) = request_context(pool, &Credential::User(user), org, now).await? else {
        let event = NewEvent::new(
            None,
            EventKind::LoginFailed,
            None,
            None,
            json!({ "reason": "unknown user", "user": user }),
        );
        let mut conn = crate::store::acquire(pool).await?;
        record::<DB>(&mut conn, event).await?;
        return Err(Refusal::NotAMember.into());
    };
    let admitted = admit(&context, policy, now);
    let (kind, reason) = match &admitted {
        Ok(_) => (EventKind::LoginSucceeded, None),
        Err(refusal) => (EventKind::LoginFailed, Some(refusal.to_string())),
    };
    let org_seen = context.org.filter(|_| context.is_member);
    let event = NewEvent::new(
        org_seen,
        kind,
        Some(user),
        Some(user),
        json!({ "reason": reason }),
    );
    let mut conn = crate::store::acquire(pool).await?;
    DB::__record(KEY, &mut conn, &event, now).await?;
    admitted?;
    DB::__touch_user(KEY, &mut conn, user, true, now).await?;
    drop(conn);
    Ok(issue_session(pool, user, context.org, ttl, now).await?)
}

/// Sets `user`'s password (an administrator's reset, a seed) and ends all
/// their sessions.
///
/// # Errors
///
/// [`Error::Invalid`] naming `password` for one that breaks the rules of
/// [`Passwords::hash`]; [`Error::NotFound`] for an unknown user.
pub async fn set_password<DB>(
    pool: &sqlx::Pool<DB>,
    system: &impl ActsAcrossOrgs,
    passwords: &Passwords,
    user: UserId,
    password: &str,
) -> tenancy_core::Result<()>
where
    DB: AccessStore,
{
    let reason = system.acting_reason().to_owned();
    let hash = passwords.hash(password).await?;
    store_password::<DB>(pool, user, &hash, None, None, json!({ "reason": reason })).await?;
    Ok(())
}

/// Changes the password of `user`, who proves it with the current one,
/// and ends their other sessions (all but the one of `keep`, the token of
/// the request that asked). Returns how many ended.
///
/// # Errors
///
/// [`SignInError::InvalidCredentials`] when `current` is wrong (counted
/// like a failed sign-in) or the account waits out its delay;
/// [`SignInError::Failed`] with [`Error::Invalid`] naming `password` for a
/// new one that breaks the rules of [`Passwords::hash`].
pub async fn change_password<DB>(
    pool: &sqlx::Pool<DB>,
    passwords: &Passwords,
    user: UserId,
    current: &str,
    new: &str,
    keep: Option<&str>,
) -> Result<u64, SignInError>
where
    DB: AccessStore,
{
    let now = Utc::now();
    let stored = {
        let mut conn = crate::store::acquire(pool).await?;
        DB::__password_of(KEY, &mut conn, user).await?
    };
    let Some((stored, hash)) = stored.and_then(|s| s.hash.clone().map(|h| (s, h))) else {
        passwords.verify_nothing(current).await?;
        return Err(failed::<DB>(pool, Some(user), "no password", now).await);
    };
    check::<DB>(pool, passwords, &stored, &hash, current, now).await?;
    let hash = passwords.hash(new).await?;
    let keep = keep.map(token_hash);
    Ok(store_password::<DB>(pool, user, &hash, keep.as_ref(), Some(user), json!({})).await?)
}

/// Stores a password hash, ends the user's sessions but `keep`, and audits
/// both as done by `actor`, in one transaction.
async fn store_password<DB: AccessStore>(
    pool: &sqlx::Pool<DB>,
    user: UserId,
    hash: &str,
    keep: Option<&[u8; 32]>,
    actor: Option<UserId>,
    mut detail: serde_json::Value,
) -> tenancy_core::Result<u64> {
    let now = Utc::now();
    let mut conn = crate::store::acquire(pool).await?;
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    if DB::__password_of(KEY, &mut tx, user).await?.is_none() {
        return Err(Error::NotFound { table: "users" });
    }
    DB::__set_password(KEY, &mut tx, user, hash, now).await?;
    let ended = DB::__close_user_sessions(KEY, &mut tx, user, None, keep, now).await?;
    detail["sessions_revoked"] = json!(ended);
    let event = NewEvent::new(None, EventKind::PasswordChanged, Some(user), actor, detail);
    record::<DB>(&mut tx, event).await?;
    tx.commit().await?;
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_grows_and_stops_growing() {
        assert_eq!(delay_after(0), Duration::zero());
        assert_eq!(delay_after(FREE_ATTEMPTS - 1), Duration::zero());
        assert_eq!(delay_after(FREE_ATTEMPTS), Duration::seconds(1));
        assert_eq!(delay_after(FREE_ATTEMPTS + 3), Duration::seconds(8));
        assert_eq!(delay_after(FREE_ATTEMPTS + 40), MAX_DELAY);
        assert_eq!(delay_after(i32::MAX), MAX_DELAY);
    }
}
