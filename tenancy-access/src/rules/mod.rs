//! The rules of roles, permissions, membership and the audit log: each
//! checks who acts, writes its change and its audit row in one
//! transaction.

use crate::store::KEY;
use chrono::Utc;
use sqlx::Acquire;
use tenancy_core::{Actor, ActsAcrossOrgs, Error, Result, Scope, UserId};

use crate::event_log::{AuditPage, AuditQuery, EventKind, NewEvent, Subject};
use crate::permission::{Permission, PermissionDef, PermissionSet};
use crate::store::AccessStore;

mod members;
mod roles;

pub(crate) use members::join;
pub use members::{
    add_member, deactivate_member, member, members, restore_member, transfer_ownership,
};
pub(crate) use roles::checked_name;
pub use roles::{
    assign_role, assign_system_role, create_role, create_system_role, grant, grant_key,
    grant_system, remove_permission, remove_permission_key, revoke_role, role_permissions,
    update_role,
};

/// The permission key that lets a member manage the organization's members
/// and roles (create, grant, assign, revoke, deactivate, restore, invite),
/// handing out only permissions they hold themselves. The owner,
/// developers and jobs may anyway, without that bound; declare it in your
/// permissions to give it through a role.
pub const MANAGE_MEMBERS: &str = "members.manage";

/// How far an actor who may manage members and roles reaches.
pub(crate) enum Authority {
    /// The owner, a developer or a job: every permission the tier allows.
    Full,
    /// A member holding [`MANAGE_MEMBERS`]: only what they hold themselves,
    /// so that managing roles is no way to more permissions than one has.
    Within(PermissionSet),
}

impl Authority {
    /// Checks that this authority may hand out every permission of `keys`.
    pub(crate) fn may_give<'k>(&self, mut keys: impl Iterator<Item = &'k str>) -> Result<()> {
        match self {
            Self::Full => Ok(()),
            Self::Within(held) if keys.all(|key| held.has_key(key)) => Ok(()),
            Self::Within(_) => Err(Error::Forbidden),
        }
    }
}

/// Checks that the scope may manage members and roles, and how far.
pub(crate) async fn authorize_management<DB: AccessStore>(
    conn: &mut DB::Connection,
    scope: &Scope,
) -> Result<Authority> {
    let Actor::Member { user } = scope.actor() else {
        // Developers and jobs act for the app itself.
        return Ok(Authority::Full);
    };
    if DB::__org_row(KEY, conn, scope.org()).await?.owner == Some(*user) {
        return Ok(Authority::Full);
    }
    let held = DB::__permissions(KEY, conn, scope.org(), Some(*user), false).await?;
    if held.has_key(MANAGE_MEMBERS) {
        Ok(Authority::Within(held))
    } else {
        Err(Error::Forbidden)
    }
}

/// The user acting through `scope`, if a user acts.
pub(crate) fn actor_user(scope: &Scope) -> Option<UserId> {
    match scope.actor() {
        Actor::Member { user } | Actor::Developer { user } => Some(*user),
        _ => None,
    }
}

/// An event of the scope's organization, done by its actor.
pub(crate) fn event(
    scope: &Scope,
    kind: EventKind,
    user: Option<UserId>,
    detail: serde_json::Value,
) -> NewEvent {
    NewEvent::new(Some(scope.org()), kind, user, actor_user(scope), detail)
}

/// Writes an audit row, now.
pub(crate) async fn record<DB: AccessStore>(
    conn: &mut DB::Connection,
    event: NewEvent,
) -> Result<()> {
    DB::__record(KEY, conn, &event, Utc::now()).await
}

/// Writes the declared permissions to the permission table: inserts new
/// keys, updates changed ones, leaves others alone, and audits the keys it
/// wrote. Running it twice changes nothing the second time.
///
/// # Errors
///
/// [`Error::Database`] when a statement fails; nothing is written then.
pub async fn sync_permissions<'c, A, DB>(
    conn: A,
    system: &impl ActsAcrossOrgs,
    defs: &[PermissionDef],
) -> Result<()>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let reason = system.acting_reason().to_owned();
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(KEY, &mut **conn).await?;
    let mut changed = Vec::new();
    for def in defs {
        if DB::__sync_permission(KEY, &mut tx, def).await? {
            changed.push(def.key);
        }
    }
    if !changed.is_empty() {
        let detail = serde_json::json!({ "keys": changed, "reason": reason });
        record::<DB>(
            &mut tx,
            NewEvent::new(None, EventKind::PermissionsSynced, None, None, detail),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The permissions the scope holds: for a member, those of their active
/// roles (all, for the owner), within what the tier allows; for a
/// developer or a job, everything the tier allows. One statement, no cache.
///
/// # Errors
///
/// [`Error::Database`] when the statement fails.
pub async fn permissions<'c, A, DB>(conn: A, scope: &Scope) -> Result<PermissionSet>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let mut conn = crate::store::acquire(conn).await?;
    let all = !matches!(scope.actor(), Actor::Member { .. });
    DB::__permissions(KEY, &mut **conn, scope.org(), actor_user(scope), all).await
}

/// Checks that the scope holds permission `P`.
///
/// # Errors
///
/// [`Error::Forbidden`] when it does not; [`Error::Database`] when the
/// statement fails.
pub async fn require<'c, P, A, DB>(conn: A, scope: &Scope) -> Result<()>
where
    P: Permission,
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    if permissions(conn, scope).await?.has::<P>() {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// The owner of the scope's organization.
///
/// # Errors
///
/// [`Error::Database`] when the statement fails.
pub async fn owner<'c, A, DB>(conn: A, scope: &Scope) -> Result<Option<UserId>>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let mut conn = crate::store::acquire(conn).await?;
    Ok(DB::__org_row(KEY, &mut **conn, scope.org()).await?.owner)
}

/// Records an event of the app's own in the scope's organization's audit
/// log, done by the scope's actor: `kind` names it (`batch.started`,
/// `area.event` outside the library's areas, see
/// [`EventKind::is_valid_app_kind`]), `subject` says what it is about and
/// `detail` holds its particulars. Pass the transaction of the change it
/// records (`&mut *tx`) to write both or neither.
///
/// # Errors
///
/// [`Error::Invalid`] naming `kind` for a name that is not an app's, or
/// `subject` for a subject kind that is not a lower-case word.
pub async fn record_app_event<'c, A, DB>(
    conn: A,
    scope: &Scope,
    kind: &'static str,
    subject: Option<Subject>,
    detail: serde_json::Value,
) -> Result<()>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    if !EventKind::is_valid_app_kind(kind) {
        return Err(Error::invalid(
            "kind",
            "an app event is named `area.event` in lower case, outside the library's areas \
             (login, user, password, session, member, role, permission, organization, ownership, \
             invitation, developer, billing)",
        ));
    }
    if let Some(subject) = &subject {
        let word = !subject.kind.is_empty()
            && subject.kind.len() <= 64
            && subject
                .kind
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_');
        if !word {
            return Err(Error::invalid(
                "subject",
                "a subject kind is a lower-case word of at most 64 letters and underscores",
            ));
        }
    }
    let mut record_it = event(scope, EventKind::App(kind), None, detail);
    record_it.subject = subject;
    let mut conn = crate::store::acquire(conn).await?;
    record::<DB>(&mut conn, record_it).await
}

/// A page of the scope's organization's audit log, newest first, filtered
/// by `query`: for the owner, developers and jobs, since it shows every
/// member's actions.
///
/// # Errors
///
/// [`Error::Forbidden`] for a member who is not the owner;
/// [`Error::Invalid`] naming `limit` above [`AuditQuery::MAX_LIMIT`].
pub async fn audit_log<'c, A, DB>(conn: A, scope: &Scope, query: &AuditQuery) -> Result<AuditPage>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let limit = match query.limit {
        0 => 50,
        n if n > AuditQuery::MAX_LIMIT => {
            return Err(Error::invalid("limit", "a page holds at most 500 events"));
        }
        n => n,
    };
    let mut conn = crate::store::acquire(conn).await?;
    if let Actor::Member { user } = scope.actor()
        && DB::__org_row(KEY, &mut conn, scope.org()).await?.owner != Some(*user)
    {
        return Err(Error::Forbidden);
    }
    // One more than asked tells whether a next page exists.
    let mut events = DB::__events(KEY, &mut conn, scope.org(), query, i64::from(limit) + 1).await?;
    let next = if events.len() > limit as usize {
        events.truncate(limit as usize);
        events
            .last()
            .map(|last| crate::event_log::AuditCursor(last.id))
    } else {
        None
    };
    Ok(AuditPage { events, next })
}
