//! Sessions and the context of one request.
//!
//! A session is a random bearer token given to a user after they sign in;
//! only its SHA-256 is stored, and it is found by that hash, so a stolen
//! database holds no usable token and a lookup compares no secret byte by
//! byte. [`request_context`] reads, in one statement, all a request needs:
//! who the principal is, which organization it acts in and whether it is a
//! member there, the owner, the billing state and the permissions.

use crate::store::KEY;
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use sqlx::Acquire;

use super::event_log::{EventKind, NewEvent};
use super::permission::PermissionSet;
use super::store::{AccessStore, Lookup};
use crate::billing::BillingState;
use tenancy_core::{Error, Result};
use tenancy_core::{OrgId, UserId};

/// A session's bearer token: the secret a client sends back as
/// `Authorization: Bearer <token>`. Shown once, never stored.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    /// The token, to hand to the client.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(REDACTED)")
    }
}

/// What proves who the principal of a request is.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credential {
    /// A session's bearer token, as the client sent it.
    Token(String),
    /// A user the app authenticated itself (a verified JWT, an mTLS
    /// certificate...).
    User(UserId),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Token(_) => f.write_str("Credential::Token(REDACTED)"),
            Self::User(user) => f.debug_tuple("Credential::User").field(user).finish(),
        }
    }
}

/// All one request needs to know of its principal, read in one statement.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RequestContext {
    /// The principal.
    pub user: UserId,
    /// Whether the principal is one of the app's developers.
    pub is_developer: bool,
    /// The session, when a token authenticated the request.
    pub session: Option<i64>,
    /// The organization the session last acted in.
    pub selected_org: Option<OrgId>,
    /// The organizations the principal is an active member of.
    pub memberships: Vec<OrgId>,
    /// The organization of this request: the one asked for, else the
    /// session's, else the principal's membership of the lowest id.
    pub org: Option<OrgId>,
    /// Whether the principal is an active member of `org`.
    pub is_member: bool,
    /// Whether `org` is active: a deactivated organization lets nobody but
    /// developers in.
    pub org_active: bool,
    /// The owner of `org`.
    pub owner: Option<UserId>,
    /// The owner's email, for "contact your owner".
    pub owner_email: Option<String>,
    /// The billing state of `org`.
    pub billing: Option<BillingState>,
    /// The principal's permissions in `org`.
    pub permissions: PermissionSet,
}

/// A new secret token: 32 random bytes, in hex.
pub(crate) fn random_token() -> Result<String> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::Database(sqlx::Error::Protocol(format!(
            "no randomness for a token: {e}"
        )))
    })?;
    Ok(hex::encode(bytes))
}

/// The stored form of a token.
pub(crate) fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Credential {
    /// What the statements look the credential up by.
    pub(crate) fn lookup(&self) -> Lookup {
        match self {
            Self::Token(token) => Lookup::TokenHash(token_hash(token)),
            Self::User(user) => Lookup::User(*user),
        }
    }
}

/// Starts a session for `user`, acting in `org` (or its default), valid
/// for `ttl`, and audits it (`session.issued`): for a user the app has
/// authenticated itself by other means than [`sign_in`](crate::sign_in)
/// (which admits the user first and records the sign-in instead). Every
/// request of the session is still admitted by [`admit`](crate::admit).
///
/// # Errors
///
/// [`Error::Invalid`] for a `ttl` that is not positive or overflows;
/// [`Error::Database`] when the statement fails or the system has no
/// randomness to draw from.
pub async fn issue_session<'c, A, DB>(
    conn: A,
    user: UserId,
    org: Option<OrgId>,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<SessionToken>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    let token = open_session::<DB>(&mut tx, user, org, ttl, now).await?;
    let detail = serde_json::json!({ "ttl_seconds": ttl.num_seconds() });
    let event = NewEvent::new(org, EventKind::SessionIssued, Some(user), None, detail);
    DB::__record(KEY, &mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(token)
}

/// Stores a new session, unaudited: for callers that audit it themselves.
pub(crate) async fn open_session<DB: AccessStore>(
    conn: &mut DB::Connection,
    user: UserId,
    org: Option<OrgId>,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<SessionToken> {
    let expires_at = now
        .checked_add_signed(ttl)
        .filter(|at| *at > now)
        .ok_or_else(|| {
            Error::invalid("ttl", "a session must last a positive, representable time")
        })?;
    let token = random_token()?;
    DB::__open_session(KEY, conn, user, org, token_hash(&token), now, expires_at).await?;
    Ok(SessionToken(token))
}

/// Ends the session of `token`; unknown tokens are ignored.
///
/// # Errors
///
/// [`Error::Database`] when the statement fails.
pub async fn revoke_session<'c, A, DB>(conn: A, token: &str, now: DateTime<Utc>) -> Result<()>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let mut conn = crate::store::acquire(conn).await?;
    DB::__close_session(KEY, &mut **conn, token_hash(token), now).await
}

/// The context of a request by the principal `credential` proves, in the
/// organization `requested` (or its default); `None` when the credential
/// proves nobody (an unknown, expired or revoked token).
///
/// Every call reads the database; [`ContextCache`](super::ContextCache)
/// serves repeated requests with a cheaper check.
///
/// # Errors
///
/// [`Error::Database`] when the statement fails.
pub async fn request_context<'c, A, DB>(
    conn: A,
    credential: &Credential,
    requested: Option<OrgId>,
    now: DateTime<Utc>,
) -> Result<Option<RequestContext>>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let mut conn = crate::store::acquire(conn).await?;
    let read =
        DB::__request_context(KEY, &mut **conn, &credential.lookup(), requested, now).await?;
    Ok(read.map(|read| read.context))
}

/// Records the organization a session acts in from now on.
///
/// A developer may enter any organization: the switch is written to its
/// audit log in the same transaction. With a session, nothing is written
/// when it already acts there; without one (a custom authenticator),
/// every request that names an organization is recorded, since nothing
/// tells a switch from a stay.
///
/// A member may choose among the organizations they are an active member
/// of (a browser cannot name one on each request as an API client does
/// with a header); nothing is audited, since a member acts only where they
/// belong. Every request is still admitted by [`admit`](crate::admit), so
/// a membership ended later ends the choice too.
///
/// # Errors
///
/// [`Error::Forbidden`] when the principal is a member of no such
/// organization and no developer, for a member without a session, or
/// when the session is not theirs, as the database says whatever the
/// context holds; [`Error::Database`] when a statement fails.
pub async fn select_org<'c, A, DB>(
    conn: A,
    context: &RequestContext,
    org: OrgId,
    now: DateTime<Utc>,
) -> Result<()>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    if !context.is_developer && !context.memberships.contains(&org) {
        return Err(Error::Forbidden);
    }
    if context.session.is_some() && context.selected_org == Some(org) {
        return Ok(());
    }
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    // The context's fields are the caller's to change: the database says
    // who is a developer, who is a member where, and whose session this is.
    let user =
        crate::users::read_user::<DB>(&mut tx, tenancy_core::Id::new(context.user.get())).await?;
    if !user.is_developer {
        let Some(session) = context.session else {
            return Err(Error::Forbidden);
        };
        if !DB::__select_org(KEY, &mut tx, session, context.user, org).await? {
            return Err(Error::Forbidden);
        }
        tx.commit().await?;
        return Ok(());
    }
    if let Some(session) = context.session
        && !DB::__select_org(KEY, &mut tx, session, context.user, org).await?
    {
        return Err(Error::Forbidden);
    }
    let event = NewEvent {
        organization_id: Some(org),
        user_id: Some(context.user),
        actor_id: Some(context.user),
        kind: EventKind::DeveloperOrgSwitch,
        subject: None,
        detail: serde_json::json!({ "from": context.selected_org }),
    };
    DB::__record(KEY, &mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(())
}
