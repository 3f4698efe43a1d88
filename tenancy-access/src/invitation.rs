//! Invitations: how people join an organization. An organization invites
//! an email with a role; the invitee accepts with the token sent to them,
//! once, before it expires, which creates their user if needed and their
//! membership in one transaction with its audit row.

use crate::store::KEY;
use std::fmt;

use chrono::{Duration, Utc};
use serde_json::json;
use sqlx::Acquire;
use tenancy_core::{Error, Id, Result, Scope, UserId};

use crate::event_log::{EventKind, NewEvent};
use crate::models::{Invitation, Membership, Role, User};
use crate::password::Passwords;
use crate::rules::{actor_user, authorize_management, checked_name, event, join, record};
use crate::session::{random_token, token_hash};
use crate::store::AccessStore;
use crate::users::{insert_user, normalized_email};

/// How long an invitation stays valid unless told otherwise: a week.
pub const DEFAULT_INVITATION_TTL: Duration = Duration::days(7);

/// An invitation's secret: send it to the invitee (in a link), never store
/// it. Shown once.
#[derive(Clone, PartialEq, Eq)]
pub struct InvitationToken(String);

impl InvitationToken {
    /// The token, to send to the invitee.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for InvitationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InvitationToken(REDACTED)")
    }
}

/// The invitee's answer: how they want to be shown and, for a new user,
/// their password.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Acceptance {
    /// The name of a new user (an existing user keeps theirs).
    pub name: String,
    /// The password of a new user; `None` for apps that sign users in
    /// otherwise. An existing user's password never changes here.
    pub password: Option<String>,
}

impl Acceptance {
    /// A new user named `name`, signing in with `password`.
    #[must_use]
    pub fn new(name: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            password: Some(password.into()),
        }
    }

    /// A user named `name` who signs in otherwise than by password.
    #[must_use]
    pub fn without_password(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            password: None,
        }
    }
}

impl fmt::Debug for Acceptance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acceptance")
            .field("name", &self.name)
            .field("password", &self.password.as_ref().map(|_| "REDACTED"))
            .finish()
    }
}

/// What accepting an invitation made.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Accepted {
    /// The user: new, or the one who had the email.
    pub user_id: Id<User>,
    /// Whether the user was created by this acceptance.
    pub created: bool,
    /// The membership.
    pub membership: Membership,
}

/// Invites `email` to the scope's organization, with `role` (one of its
/// own) given on acceptance, valid for `ttl`.
///
/// # Errors
///
/// [`Error::Forbidden`] for an actor who may not manage members, or a
/// system role (which only a system scope gives);
/// [`Error::Invalid`] naming `email` for a malformed one, `role_id` for a
/// role the organization cannot see or a deactivated one, or `ttl` for one
/// that is not positive.
pub async fn invite<'c, A, DB>(
    conn: A,
    scope: &Scope,
    email: &str,
    role: Option<Id<Role>>,
    ttl: Duration,
) -> Result<(Invitation, InvitationToken)>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let email = normalized_email(email)?;
    let now = Utc::now();
    let expires_at = now
        .checked_add_signed(ttl)
        .filter(|at| *at > now)
        .ok_or_else(|| {
            Error::invalid(
                "ttl",
                "an invitation must last a positive, representable time",
            )
        })?;
    let token = random_token()?;
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    let authority = authorize_management::<DB>(&mut tx, scope).await?;
    if let Some(role) = role {
        let keys = DB::__role_permissions(KEY, &mut tx, role).await?;
        match DB::__role(KEY, &mut tx, scope, role).await {
            // A system role is given by a system scope only, as
            // `assign_role` refuses it too.
            Ok(found) if found.organization_id.is_none() => return Err(Error::Forbidden),
            Ok(found) if found.is_active => authority.may_give(keys.iter().map(String::as_str))?,
            Ok(_) | Err(Error::NotFound { .. }) => {
                return Err(Error::invalid(
                    "role_id",
                    "refers to no active role of this organization",
                ));
            }
            Err(other) => return Err(other),
        }
    }
    let by = actor_user(scope).map(|user| Id::new(user.get()));
    let id = DB::__create_invitation(
        KEY,
        &mut tx,
        scope.org(),
        &email,
        role,
        token_hash(&token),
        by,
        now,
        expires_at,
    )
    .await?;
    let detail = json!({ "invitation_id": id, "email": email, "role_id": role });
    record::<DB>(
        &mut tx,
        event(scope, EventKind::InvitationCreated, None, detail),
    )
    .await?;
    let invitation = DB::__invitation(KEY, &mut tx, scope, id).await?;
    tx.commit().await?;
    Ok((invitation, InvitationToken(token)))
}

/// Revokes a pending invitation of the scope's organization: its token no
/// longer works.
///
/// # Errors
///
/// [`Error::NotFound`] when no pending invitation of the organization has
/// this id (another organization's included); [`Error::Forbidden`] for an
/// actor who may not manage members.
pub async fn revoke_invitation<'c, A, DB>(
    conn: A,
    scope: &Scope,
    invitation: Id<Invitation>,
) -> Result<()>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    authorize_management::<DB>(&mut tx, scope).await?;
    if !DB::__revoke_invitation(KEY, &mut tx, scope.org(), invitation, Utc::now()).await? {
        return Err(Error::NotFound {
            table: "invitations",
        });
    }
    let detail = json!({ "invitation_id": invitation });
    record::<DB>(
        &mut tx,
        event(scope, EventKind::InvitationRevoked, None, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Accepts the invitation of `token`: creates the user of its email if
/// none exists (named and with the password of `acceptance`), makes them an
/// active member with the invitation's role, and uses the invitation up,
/// all in one transaction with its audit row. Concurrent acceptances of
/// one token make one membership: the others find it used.
///
/// When a user already has the email, only that user may accept, signed
/// in: `signed_in` is the principal of the request. Holding the token
/// proves access to the mailbox at best, and the token passes through the
/// inviter's hands; an account that exists is joined only by its owner.
/// Send the token to the invitee only (by email), never back to the
/// inviter: whoever holds it may create the account of that email.
///
/// # Errors
///
/// [`Error::NotFound`] for a token that is unknown, expired, used or
/// revoked (all four look alike); [`Error::Forbidden`] when the email
/// has an account and `signed_in` is not it, or that account's member was
/// deactivated in the organization (only [`restore_member`](crate::restore_member)
/// brings them back); [`Error::Invalid`] naming `name` or `password` for a
/// new user's malformed one.
pub async fn accept_invitation<DB>(
    pool: &sqlx::Pool<DB>,
    passwords: &Passwords,
    token: &str,
    acceptance: Acceptance,
    signed_in: Option<UserId>,
) -> Result<Accepted>
where
    DB: AccessStore,
{
    let unusable = || Error::NotFound {
        table: "invitations",
    };
    let hash = token_hash(token);
    // Read first, outside any transaction, to learn the organization and
    // to hash the password before any lock is held.
    let pending = {
        let mut conn = crate::store::acquire(pool).await?;
        DB::__invitation_by_token(KEY, &mut conn, hash)
            .await?
            .ok_or_else(unusable)?
    };
    if pending.used || pending.expires_at <= Utc::now() {
        return Err(unusable());
    }
    let existing = {
        let mut conn = crate::store::acquire(pool).await?;
        DB::__user_by_email(KEY, &mut conn, &pending.email).await?
    };
    // A new user's name and password; an existing user keeps theirs.
    let (name, password) = if existing.is_some() {
        (String::new(), None)
    } else {
        let name = checked_name("name", &acceptance.name)?;
        match &acceptance.password {
            Some(password) => (name, Some(passwords.hash(password).await?)),
            None => (name, None),
        }
    };
    let scope = Scope::for_job(pending.org, "invitation acceptance");
    let scope = &scope;
    let (name, password) = (&name, &password);
    scope
        .write(pool, move |tx| {
            Box::pin(async move {
                let conn: &mut DB::Connection = &mut *tx;
                let now = Utc::now();
                // Again, locked: another acceptance may have won meanwhile.
                let pending = DB::__invitation_by_token(KEY, conn, hash)
                    .await?
                    .filter(|p| !p.used && p.expires_at > now)
                    .ok_or_else(unusable)?;
                let (user, created) = match DB::__user_by_email(KEY, conn, &pending.email).await? {
                    Some(id) if signed_in == Some(UserId::new(id.get())) => {
                        let member = DB::__members(KEY, conn, pending.org, Some(id)).await?;
                        if member.iter().any(|m| !m.is_active) {
                            // Deactivated here: only `restore_member` brings
                            // them back, not an invitation they kept.
                            return Err(Error::Forbidden);
                        }
                        (id, false)
                    }
                    Some(_) => return Err(Error::Forbidden),
                    None if existing.is_some() => return Err(Error::Forbidden),
                    None => {
                        let user = insert_user::<DB>(conn, &pending.email, name, false).await?;
                        if let Some(hash) = password {
                            DB::__set_password(KEY, conn, user.user_id(), hash, now).await?;
                        }
                        (user.id, true)
                    }
                };
                let principal = UserId::new(user.get());
                if !DB::__accept_invitation(KEY, conn, pending.id, principal, now).await? {
                    return Err(unusable());
                }
                let detail = json!({ "invitation_id": pending.id });
                let membership = join::<DB>(conn, pending.org, principal, detail.clone()).await?;
                if let Some(role) = pending.role {
                    let active = DB::__role(KEY, conn, scope, role).await.is_ok_and(|r| r.is_active);
                    let held = DB::__holds_role(KEY, conn, scope, membership.id, role).await?;
                    if active && !held {
                        let by = None;
                        let id = DB::__assign(KEY, conn, pending.org, membership.id, role, by, now).await?;
                        let detail = json!({ "role_id": role, "assignment_id": id, "invitation_id": pending.id });
                        let assigned = NewEvent::new(Some(pending.org), EventKind::RoleAssigned, Some(principal), None, detail);
                        record::<DB>(conn, assigned).await?;
                    }
                }
                let accepted = NewEvent::new(
                    Some(pending.org),
                    EventKind::InvitationAccepted,
                    Some(principal),
                    Some(principal),
                    json!({ "invitation_id": pending.id, "role_id": pending.role, "new_user": created }),
                );
                record::<DB>(conn, accepted).await?;
                Ok(Accepted {
                    user_id: user,
                    created,
                    membership,
                })
            })
        })
        .await
}
