//! Signing up: a new organization and its owner, with a password and a
//! first session, all in one transaction, so that a failure halfway (a
//! taken email, a tier that does not exist) leaves no user without an
//! organization, nor an organization without its owner.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use tenancy_core::{ActsAcrossOrgs, OrgId, Result};

use crate::event_log::{EventKind, NewEvent};
use crate::models::User;
use crate::organization::insert_organization;
use crate::password::Passwords;
use crate::rules::{checked_name, record};
use crate::session::{SessionToken, open_session};
use crate::store::{AccessStore, KEY};
use crate::users::{insert_user, normalized_email};

/// Who signs up, for which new organization.
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignUp<'a> {
    /// The organization's name.
    pub organization: &'a str,
    /// The owner's name.
    pub name: &'a str,
    /// The owner's email, where they sign in with.
    pub email: &'a str,
    /// The owner's password.
    pub password: &'a str,
    /// The organization's subscription tier, one the app declared.
    pub tier: &'a str,
}

impl<'a> SignUp<'a> {
    /// A sign-up for `organization` by `name` at `email`, on tier `tier`.
    #[must_use]
    pub fn new(
        organization: &'a str,
        name: &'a str,
        email: &'a str,
        password: &'a str,
        tier: &'a str,
    ) -> Self {
        Self {
            organization,
            name,
            email,
            password,
            tier,
        }
    }
}

impl std::fmt::Debug for SignUp<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignUp")
            .field("organization", &self.organization)
            .field("name", &self.name)
            .field("email", &self.email)
            .field("password", &"REDACTED")
            .field("tier", &self.tier)
            .finish()
    }
}

/// What a sign-up made.
#[derive(Debug)]
#[non_exhaustive]
pub struct SignedUp {
    /// The owner.
    pub user: User,
    /// The organization.
    pub organization: OrgId,
    /// The owner's first session, acting in the organization.
    pub token: SessionToken,
}

/// Signs up: the owner (with the password, hashed first, outside the
/// transaction), the organization, its first member and a session valid
/// for `ttl`, with their audit rows, in one transaction. Work across
/// organizations: on PostgreSQL with row-level security, `pool` connects
/// as a login of the system role.
///
/// # Errors
///
/// [`Error::Invalid`](tenancy_core::Error::Invalid) naming `email`,
/// `name`, `organization` or `password` for a malformed one;
/// [`Error::Conflict`](tenancy_core::Error::Conflict) when a user has
/// this email or the tier does not exist; nothing is written then.
pub async fn sign_up<DB: AccessStore>(
    pool: &sqlx::Pool<DB>,
    system: &impl ActsAcrossOrgs,
    passwords: &Passwords,
    sign_up: SignUp<'_>,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<SignedUp> {
    let reason = system.acting_reason().to_owned();
    let email = normalized_email(sign_up.email)?;
    let name = checked_name("name", sign_up.name)?;
    let organization = checked_name("organization", sign_up.organization)?;
    let hash = passwords.hash(sign_up.password).await?;
    let mut conn = crate::store::acquire(pool).await?;
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    let user = insert_user::<DB>(&mut tx, &email, &name, false).await?;
    let owner = user.user_id();
    DB::__set_password(KEY, &mut tx, owner, &hash, now).await?;
    let org =
        insert_organization::<DB>(&mut tx, &organization, owner, sign_up.tier, &reason).await?;
    let event = NewEvent::new(
        Some(org),
        EventKind::LoginSucceeded,
        Some(owner),
        Some(owner),
        json!({ "at": "sign-up" }),
    );
    record::<DB>(&mut tx, event).await?;
    DB::__touch_user(KEY, &mut tx, owner, true, now).await?;
    let token = open_session::<DB>(&mut tx, owner, Some(org), ttl, now).await?;
    tx.commit().await?;
    Ok(SignedUp {
        user,
        organization: org,
        token,
    })
}
