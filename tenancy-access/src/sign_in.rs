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
use crate::session::{Credential, SessionToken, open_session, request_context, token_hash};
use crate::store::AccessStore;
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

/// One password sign-in attempt.
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PasswordAttempt<'a> {
    /// The email typed.
    pub email: &'a str,
    /// The password typed.
    pub password: &'a str,
    /// Where the attempt comes from: the client's address as the app knows
    /// it (behind a proxy, the forwarded address it trusts). Failures are
    /// counted per account and source, so a stranger's guesses slow that
    /// stranger down on that account, not the owner signing in from
    /// elsewhere.
    pub source: &'a str,
}

impl<'a> PasswordAttempt<'a> {
    /// `email` and `password`, typed at `source`.
    #[must_use]
    pub fn new(email: &'a str, password: &'a str, source: &'a str) -> Self {
        Self {
            email,
            password,
            source,
        }
    }
}

impl std::fmt::Debug for PasswordAttempt<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordAttempt")
            .field("email", &self.email)
            .field("password", &"REDACTED")
            .field("source", &self.source)
            .finish()
    }
}

/// The account that counts the attempts on emails no account has.
const NOBODY: UserId = UserId::new(0);

/// Signs in with an email and a password: the password is verified with
/// argon2id (an outdated hash is replaced), then the user is admitted by
/// the same rule as every request, and a session valid for `ttl` starts.
///
/// `org` is the organization to sign in to; `None` for the user's first
/// (a developer who belongs to none signs in to none, and chooses one
/// later with [`select_org`](crate::select_org)).
///
/// Every attempt costs the same statements and one hash, whatever the
/// email: an unknown one, one without a password, a wrong password and an
/// account waiting out its delay all answer
/// [`SignInError::InvalidCredentials`]. After [`FREE_ATTEMPTS`] failures of
/// one source on one account (unknown emails count as one account), that
/// source waits [`delay_after`] the count before its next attempt is
/// verified; concurrent attempts cannot skip the wait or multiply the free
/// ones, since each is counted in one statement before it is verified.
///
/// # Errors
///
/// [`SignInError::InvalidCredentials`] as above (audited as
/// `login.failed`); [`SignInError::Refused`] when the user may not act for
/// the organization now; [`SignInError::Failed`] when the database fails,
/// or with [`Error::Busy`] when the hashing queue is full.
pub async fn sign_in_with_password<DB>(
    pool: &sqlx::Pool<DB>,
    passwords: &Passwords,
    attempt: PasswordAttempt<'_>,
    org: Option<OrgId>,
    policy: &BillingPolicy,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<SessionToken, SignInError>
where
    DB: AccessStore,
{
    let email = normalized_email(attempt.email).unwrap_or_default();
    let stored = {
        let mut conn = crate::store::acquire(pool).await?;
        DB::__password_by_email(KEY, &mut conn, &email).await?
    };
    let user = stored.as_ref().map_or(NOBODY, |stored| stored.user);
    let hash = stored.and_then(|stored| stored.hash);
    // Sources of sign-ins are counted apart from those of password changes.
    let source = format!("sign-in {}", attempt.source);
    let counted = PasswordAttempt {
        source: &source,
        ..attempt
    };
    let verdict = check::<DB>(pool, passwords, user, hash.as_deref(), counted, now).await?;
    if let (true, Some(old)) = (verdict.outdated, &hash) {
        // A password that no longer meets the rules still signs in; it is
        // only not rehashed. A password changed meanwhile is kept.
        if let Ok(rehashed) = passwords.hash(attempt.password).await {
            let mut conn = crate::store::acquire(pool).await?;
            DB::__replace_hash(KEY, &mut conn, user, old, &rehashed).await?;
        }
    }
    sign_in(pool, user, org, policy, ttl, now).await
}

/// Checks the password of an attempt on `user` (whose stored `hash` is
/// `None` for an unknown email or an account without a password): counts
/// the attempt unless its source must wait, verifies, and audits a
/// failure. Whether the email has an account, the same statements and one
/// hash.
async fn check<DB: AccessStore>(
    pool: &sqlx::Pool<DB>,
    passwords: &Passwords,
    user: UserId,
    hash: Option<&str>,
    attempt: PasswordAttempt<'_>,
    now: DateTime<Utc>,
) -> Result<Verdict, SignInError> {
    let claimed = {
        let mut conn = crate::store::acquire(pool).await?;
        let seen = DB::__attempts(KEY, &mut conn, user, attempt.source).await?;
        if seen.failed < FREE_ATTEMPTS {
            // Each attempt takes a number in one statement: however many
            // run at once, the first few numbers are all that verify.
            DB::__count_attempt(KEY, &mut conn, user, attempt.source, now).await? <= FREE_ATTEMPTS
        } else {
            let waiting = seen
                .last_failure_at
                .is_some_and(|at| now < at + delay_after(seen.failed));
            // Past the free attempts, one turn per delay: the attempt that
            // moves the count on from what it read takes it. A waiting
            // source runs the same statement, matching no count (-1).
            let expected = if waiting { -1 } else { seen.failed };
            DB::__claim_attempt(KEY, &mut conn, user, attempt.source, expected, now).await?
        }
    };
    let verdict = match hash {
        Some(hash) if claimed => passwords.verify(attempt.password, hash).await?,
        _ => {
            passwords.verify_nothing(attempt.password).await?;
            Verdict::NO_MATCH
        }
    };
    if verdict.matches {
        let mut conn = crate::store::acquire(pool).await?;
        DB::__clear_attempts(KEY, &mut conn, user, attempt.source).await?;
        return Ok(verdict);
    }
    let reason = if !claimed {
        "delayed after failed attempts"
    } else if user == NOBODY {
        "unknown email"
    } else if hash.is_none() {
        "no password"
    } else {
        "wrong password"
    };
    let account = (user != NOBODY).then_some(user);
    Err(failed::<DB>(pool, account, reason, now).await)
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
/// `org` is the organization to sign in to; `None` for the user's first
/// (a developer who belongs to none signs in to none, and chooses one
/// later with [`select_org`](crate::select_org)).
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
    let admitted = match admit(&context, policy, now) {
        // A developer may sign in before choosing an organization: the
        // session then serves only what needs none (the organization
        // picker), as the tenancy layer does for such requests.
        Err(Refusal::NoOrganization) if context.is_developer => Ok(()),
        admitted => admitted.map(|_| ()),
    };
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
    if let Err(refusal) = admitted {
        DB::__record(KEY, &mut conn, &event, now).await?;
        return Err(refusal.into());
    }
    // The sign-in's audit rows and its session, all or none.
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    DB::__record(KEY, &mut tx, &event, now).await?;
    if let Some(org) = context
        .org
        .filter(|_| context.is_developer && !context.is_member)
    {
        // A developer signing in to an organization they are no member of
        // enters it: its audit log says so, as for a switch by header.
        let entered = json!({ "from": null, "at": "sign-in" });
        let event = NewEvent::new(
            Some(org),
            EventKind::DeveloperOrgSwitch,
            Some(user),
            Some(user),
            entered,
        );
        DB::__record(KEY, &mut tx, &event, now).await?;
    }
    DB::__touch_user(KEY, &mut tx, user, true, now).await?;
    let token = open_session::<DB>(&mut tx, user, context.org, ttl, now).await?;
    tx.commit().await.map_err(Error::from)?;
    Ok(token)
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
    let hash = stored.and_then(|stored| stored.hash);
    // Counted per session, apart from sign-ins: a thief holding one
    // session cannot keep the owner's others from changing the password.
    let source = match keep {
        Some(token) => format!("password change {}", &hex::encode(token_hash(token))[..16]),
        None => "password change".to_owned(),
    };
    let attempt = PasswordAttempt::new("", current, &source);
    check::<DB>(pool, passwords, user, hash.as_deref(), attempt, now).await?;
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
    // A new password starts with no failures to wait out.
    DB::__clear_all_attempts(KEY, &mut tx, user).await?;
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
