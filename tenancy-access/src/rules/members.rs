//! Members: who belongs to an organization, joining (by a system scope;
//! invitations are the way in for people), deactivation and restoring,
//! and ownership.

use crate::store::KEY;
use chrono::Utc;
use serde_json::json;
use sqlx::Acquire;
use tenancy_core::{Actor, ActsAcrossOrgs, Error, Id, OrgId, Result, Scope, UserId};

use super::{authorize_management, event, record};
use crate::event_log::{EventKind, NewEvent};
use crate::models::{Member, Membership, User};
use crate::store::AccessStore;

/// The members of the scope's organization, active or not, in the order
/// they joined: names and time zones, never emails, nothing of their other
/// organizations.
///
/// # Errors
///
/// [`Error::Database`] when the statement fails.
pub async fn members<'c, A, DB>(conn: A, scope: &Scope) -> Result<Vec<Member>>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let mut conn = crate::store::acquire(conn).await?;
    DB::__members(KEY, &mut conn, scope.org(), None).await
}

/// The member of the scope's organization who is `user`.
///
/// # Errors
///
/// [`Error::NotFound`] when `user` is no member (active or not) of the
/// organization, whether or not the user exists.
pub async fn member<'c, A, DB>(conn: A, scope: &Scope, user: Id<User>) -> Result<Member>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let mut conn = crate::store::acquire(conn).await?;
    DB::__members(KEY, &mut conn, scope.org(), Some(user))
        .await?
        .pop()
        .ok_or(Error::NotFound {
            table: "memberships",
        })
}

/// Makes `user` an active member of `org`, with no role: for seeding and
/// for the app's own staff tools. People join through invitations
/// ([`invite`](crate::invite)), which an organization sends itself. A
/// deactivated member comes back without the roles they had (see
/// [`restore_member`] for those).
///
/// # Errors
///
/// [`Error::Conflict`] when the user or the organization does not exist.
pub async fn add_member<'c, A, DB>(
    conn: A,
    system: &impl ActsAcrossOrgs,
    org: OrgId,
    user: UserId,
) -> Result<Membership>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let reason = system.acting_reason().to_owned();
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    let membership = join::<DB>(&mut tx, org, user, json!({ "reason": reason })).await?;
    tx.commit().await?;
    Ok(membership)
}

/// Makes `user` an active member of `org` and audits it, in the caller's
/// transaction.
pub(crate) async fn join<DB: AccessStore>(
    conn: &mut DB::Connection,
    org: OrgId,
    user: UserId,
    detail: serde_json::Value,
) -> Result<Membership> {
    let id = DB::__add_member(KEY, conn, org, user, Utc::now()).await?;
    let record_it = NewEvent::new(Some(org), EventKind::MemberAdded, Some(user), None, detail);
    record::<DB>(conn, record_it).await?;
    DB::__membership(KEY, conn, &Scope::for_job(org, "new member"), id).await
}

/// Deactivates a member and, with them, their active role assignments,
/// and ends their sessions acting in the organization.
///
/// # Errors
///
/// [`Error::Forbidden`] for the owner, who cannot be deactivated (transfer
/// ownership first), or an actor who may not manage members;
/// [`Error::NotFound`] for an unknown or inactive member.
pub async fn deactivate_member<'c, A, DB>(
    conn: A,
    scope: &Scope,
    membership: Id<Membership>,
) -> Result<()>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    authorize_management::<DB>(&mut tx, scope).await?;
    let member = DB::__membership(KEY, &mut tx, scope, membership).await?;
    let org = DB::__org_row_for_update(KEY, &mut tx, scope.org()).await?;
    let user = UserId::new(member.user_id.get());
    if org.owner == Some(user) {
        return Err(Error::Forbidden);
    }
    let now = Utc::now();
    if !DB::__deactivate(KEY, &mut tx, scope.org(), membership, now).await? {
        return Err(Error::NotFound {
            table: "memberships",
        });
    }
    let sessions =
        DB::__close_user_sessions(KEY, &mut tx, user, Some(scope.org()), None, now).await?;
    let detail = json!({ "membership_id": membership, "sessions_revoked": sessions });
    record::<DB>(
        &mut tx,
        event(scope, EventKind::MemberDeactivated, Some(user), detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Restores a member and exactly the role assignments their deactivation
/// took (not those revoked before). A member who manages members restores
/// only someone whose roles grant nothing they do not hold themselves.
///
/// # Errors
///
/// [`Error::NotFound`] for a membership that is not an inactive one of the
/// organization.
pub async fn restore_member<'c, A, DB>(
    conn: A,
    scope: &Scope,
    membership: Id<Membership>,
) -> Result<Membership>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    let authority = authorize_management::<DB>(&mut tx, scope).await?;
    // Restoring gives the roles back: a manager gives back only what they
    // hold themselves.
    let keys = DB::__restorable_keys(KEY, &mut tx, scope.org(), membership).await?;
    authority.may_give(keys.iter().map(String::as_str))?;
    if !DB::__restore(KEY, &mut tx, scope.org(), membership, Utc::now()).await? {
        return Err(Error::NotFound {
            table: "memberships",
        });
    }
    let restored = DB::__membership(KEY, &mut tx, scope, membership).await?;
    let user = Some(UserId::new(restored.user_id.get()));
    let detail = json!({ "membership_id": membership });
    record::<DB>(
        &mut tx,
        event(scope, EventKind::MemberRestored, user, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(restored)
}

/// Makes `new_owner`, an active member, the owner of the scope's
/// organization. Only the owner (or a developer) may.
///
/// # Errors
///
/// [`Error::Forbidden`] when the actor is not the owner or a developer;
/// [`Error::Invalid`] naming `owner` when `new_owner` is not an active
/// member.
pub async fn transfer_ownership<'c, A, DB>(conn: A, scope: &Scope, new_owner: UserId) -> Result<()>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    let org = DB::__org_row_for_update(KEY, &mut tx, scope.org()).await?;
    let allowed = match scope.actor() {
        Actor::Developer { .. } => true,
        Actor::Member { user } => org.owner == Some(*user),
        _ => false,
    };
    if !allowed {
        return Err(Error::Forbidden);
    }
    if !DB::__is_member(KEY, &mut tx, scope.org(), new_owner).await? {
        return Err(Error::invalid(
            "owner",
            "the new owner must be an active member",
        ));
    }
    DB::__set_owner(KEY, &mut tx, scope.org(), new_owner).await?;
    let detail = json!({ "from": org.owner, "to": new_owner });
    let record_it = event(
        scope,
        EventKind::OwnershipTransferred,
        Some(new_owner),
        detail,
    );
    record::<DB>(&mut tx, record_it).await?;
    tx.commit().await?;
    Ok(())
}
