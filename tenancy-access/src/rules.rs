//! The rules of roles, permissions, membership and ownership.

use chrono::Utc;
use serde_json::json;
use sqlx::Acquire;

use super::event_log::{EventKind, LoggedEvent, NewEvent};
use super::models::{Membership, NewRoleAssignment, Role, RoleAssignment};
use super::permission::{Permission, PermissionDef, PermissionSet};
use super::store::AccessStore;
use tenancy_core::{Actor, ActsAcrossOrgs, Scope};
use tenancy_core::{Error, Result};
use tenancy_core::{Id, OrgId, UserId};

/// The permission key that lets a member manage the organization's members
/// and roles (assign, revoke, grant, deactivate, restore). The owner,
/// developers and jobs may anyway; declare it in your permissions to give
/// it through a role.
pub const MANAGE_MEMBERS: &str = "members.manage";

/// Checks that the scope may manage members and roles.
async fn authorize_management<DB: AccessStore>(
    conn: &mut DB::Connection,
    scope: &Scope,
) -> Result<()> {
    let Actor::Member { user } = scope.actor() else {
        // Developers and jobs act for the app itself.
        return Ok(());
    };
    if DB::__org_row(conn, scope.org()).await?.owner == Some(*user) {
        return Ok(());
    }
    let held = DB::__permissions(conn, scope.org(), Some(*user), false).await?;
    if held.has_key(MANAGE_MEMBERS) {
        Ok(())
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

fn event(
    scope: &Scope,
    kind: EventKind,
    user: Option<UserId>,
    detail: serde_json::Value,
) -> NewEvent {
    NewEvent {
        organization_id: Some(scope.org()),
        user_id: user,
        actor_id: actor_user(scope),
        kind,
        detail,
    }
}

/// Writes the declared permissions to the permission table: inserts new
/// keys, updates changed ones, leaves others alone. Running it twice
/// changes nothing the second time.
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
    let _ = system.acting_reason();
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(&mut **conn).await?;
    for def in defs {
        DB::__sync_permission(&mut tx, def).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A new organization owned by `owner`, who becomes its first member.
///
/// # Errors
///
/// [`Error::Conflict`] when `owner` or `tier` does not exist;
/// [`Error::Database`] when a statement fails.
pub async fn create_organization<'c, A, DB>(
    conn: A,
    system: &impl ActsAcrossOrgs,
    name: &str,
    owner: UserId,
    tier: &str,
) -> Result<OrgId>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let _ = system.acting_reason();
    let mut conn = crate::store::acquire(conn).await?;
    DB::__create_org(&mut **conn, name, owner, tier).await
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
    DB::__permissions(&mut **conn, scope.org(), actor_user(scope), all).await
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

/// Grants permission `P` to one of the organization's own roles.
///
/// # Errors
///
/// [`Error::NotFound`] for a role the organization cannot see,
/// [`Error::Forbidden`] for a system role (see [`grant_system`]),
/// [`Error::Invalid`] when `P` was never synced.
pub async fn grant<'c, P, A, DB>(conn: A, scope: &Scope, role: Id<Role>) -> Result<()>
where
    P: Permission,
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let mut conn = crate::store::acquire(conn).await?;
    authorize_management::<DB>(&mut **conn, scope).await?;
    let found = DB::__role(&mut **conn, scope, role).await?;
    if found.organization_id != Some(scope.org()) {
        return Err(Error::Forbidden);
    }
    granted(DB::__grant(&mut **conn, role, P::KEY).await?, P::KEY)
}

/// Grants the permission `key` to a system role.
///
/// # Errors
///
/// [`Error::Invalid`] when `key` was never synced; [`Error::Database`] when
/// a statement fails.
pub async fn grant_system<'c, A, DB>(
    conn: A,
    system: &impl ActsAcrossOrgs,
    role: Id<Role>,
    key: &str,
) -> Result<()>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let _ = system.acting_reason();
    let mut conn = crate::store::acquire(conn).await?;
    granted(DB::__grant(&mut **conn, role, key).await?, key)
}

fn granted(found: bool, key: &str) -> Result<()> {
    if found {
        Ok(())
    } else {
        Err(Error::invalid(
            "permission",
            format!("`{key}` is not in the permission table: sync the declared permissions first"),
        ))
    }
}

/// Gives one of the organization's own roles to one of its members.
///
/// Only the owner, a member holding [`MANAGE_MEMBERS`], a developer or a
/// job may; the same holds for every rule that manages members and roles.
///
/// # Errors
///
/// [`Error::Invalid`] naming `role_id` or `membership_id` when the role or
/// membership is not the organization's; [`Error::Forbidden`] for a system
/// role, which only a system scope assigns ([`assign_system_role`]).
pub async fn assign_role<'c, A, DB>(
    conn: A,
    scope: &Scope,
    membership: Id<Membership>,
    role: Id<Role>,
) -> Result<RoleAssignment>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let mut conn = crate::store::acquire(conn).await?;
    authorize_management::<DB>(&mut **conn, scope).await?;
    let found = DB::__role(&mut **conn, scope, role)
        .await
        .map_err(|error| match error {
            Error::NotFound { .. } => {
                Error::invalid("role_id", "refers to no role of this organization")
            }
            other => other,
        })?;
    if found.organization_id.is_none() {
        return Err(Error::Forbidden);
    }
    assign::<DB>(&mut **conn, scope, membership, role).await
}

/// Gives a system role to a member of `org`.
///
/// # Errors
///
/// [`Error::Invalid`] naming `role_id` when the role is not a system role,
/// or `membership_id` when the membership is not `org`'s.
pub async fn assign_system_role<'c, A, DB>(
    conn: A,
    system: &impl ActsAcrossOrgs,
    org: OrgId,
    membership: Id<Membership>,
    role: Id<Role>,
) -> Result<RoleAssignment>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let scope = Scope::for_job(org, "system role assignment");
    let _ = system.acting_reason();
    let mut conn = crate::store::acquire(conn).await?;
    let found = DB::__role(&mut **conn, &scope, role).await;
    if !matches!(
        found,
        Ok(Role {
            organization_id: None,
            ..
        })
    ) {
        return Err(Error::invalid("role_id", "refers to no system role"));
    }
    assign::<DB>(&mut **conn, &scope, membership, role).await
}

async fn assign<DB: AccessStore>(
    conn: &mut DB::Connection,
    scope: &Scope,
    membership: Id<Membership>,
    role: Id<Role>,
) -> Result<RoleAssignment> {
    let mut tx = DB::__begin(conn).await?;
    let new = NewRoleAssignment {
        membership_id: membership,
        role_id: role,
        assigned_at: Utc::now(),
        assigned_by: actor_user(scope).map(|user| Id::new(user.get())),
    };
    let assignment = DB::__assign(&mut tx, scope, new).await?;
    let member = DB::__membership(&mut tx, scope, membership).await?;
    let detail = json!({ "role_id": role, "assignment_id": assignment.id });
    let user = Some(UserId::new(member.user_id.get()));
    DB::__record(
        &mut tx,
        &event(scope, EventKind::RoleAssigned, user, detail),
        Utc::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(assignment)
}

/// Takes a role away from a member; it stops granting at once.
///
/// # Errors
///
/// [`Error::NotFound`] when no active assignment has this id in the
/// organization.
pub async fn revoke_role<'c, A, DB>(
    conn: A,
    scope: &Scope,
    assignment: Id<RoleAssignment>,
) -> Result<()>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(&mut **conn).await?;
    authorize_management::<DB>(&mut tx, scope).await?;
    let revoked = DB::__revoke(&mut tx, scope, assignment).await?;
    let member = DB::__membership(&mut tx, scope, revoked.membership_id).await?;
    let detail = json!({ "role_id": revoked.role_id, "assignment_id": assignment });
    let user = Some(UserId::new(member.user_id.get()));
    DB::__record(
        &mut tx,
        &event(scope, EventKind::RoleRevoked, user, detail),
        Utc::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deactivates a member and, with them, their active role assignments.
///
/// # Errors
///
/// [`Error::Forbidden`] for the owner, who cannot be deactivated (transfer
/// ownership first); [`Error::NotFound`] for an unknown or inactive member.
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
    let mut tx = DB::__begin(&mut **conn).await?;
    authorize_management::<DB>(&mut tx, scope).await?;
    let member = DB::__membership(&mut tx, scope, membership).await?;
    let org = DB::__org_row_for_update(&mut tx, scope.org()).await?;
    let user = UserId::new(member.user_id.get());
    if org.owner == Some(user) {
        return Err(Error::Forbidden);
    }
    DB::__deactivate(&mut tx, scope, membership).await?;
    let detail = json!({ "membership_id": membership });
    DB::__record(
        &mut tx,
        &event(scope, EventKind::MemberDeactivated, Some(user), detail),
        Utc::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Restores a member and exactly the role assignments their deactivation
/// took (not those revoked before).
///
/// # Errors
///
/// [`Error::NotFound`] for a membership of another organization.
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
    let mut tx = DB::__begin(&mut **conn).await?;
    authorize_management::<DB>(&mut tx, scope).await?;
    let restored = DB::__restore(&mut tx, scope, membership).await?;
    let user = Some(UserId::new(restored.user_id.get()));
    let detail = json!({ "membership_id": membership });
    DB::__record(
        &mut tx,
        &event(scope, EventKind::MemberRestored, user, detail),
        Utc::now(),
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
    let mut tx = DB::__begin(&mut **conn).await?;
    let org = DB::__org_row_for_update(&mut tx, scope.org()).await?;
    let allowed = match scope.actor() {
        Actor::Developer { .. } => true,
        Actor::Member { user } => org.owner == Some(*user),
        _ => false,
    };
    if !allowed {
        return Err(Error::Forbidden);
    }
    if !DB::__is_member(&mut tx, scope.org(), new_owner).await? {
        return Err(Error::invalid(
            "owner",
            "the new owner must be an active member",
        ));
    }
    DB::__set_owner(&mut tx, scope.org(), new_owner).await?;
    let detail = json!({ "from": org.owner, "to": new_owner });
    let record = event(
        scope,
        EventKind::OwnershipTransferred,
        Some(new_owner),
        detail,
    );
    DB::__record(&mut tx, &record, Utc::now()).await?;
    tx.commit().await?;
    Ok(())
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
    Ok(DB::__org_row(&mut **conn, scope.org()).await?.owner)
}

/// Writes an audit row on its own, for events that change nothing else
/// (sign-ins, a developer switching organization).
///
/// # Errors
///
/// [`Error::Database`] when the statement fails.
pub async fn record_event<'c, A, DB>(conn: A, event: &NewEvent) -> Result<()>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let mut conn = crate::store::acquire(conn).await?;
    DB::__record(&mut **conn, event, Utc::now()).await
}

/// The organization's latest audit rows, newest first.
///
/// # Errors
///
/// [`Error::Database`] when the statement fails.
pub async fn audit_events<'c, A, DB>(conn: A, scope: &Scope, limit: u32) -> Result<Vec<LoggedEvent>>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let mut conn = crate::store::acquire(conn).await?;
    DB::__events(&mut **conn, scope.org(), i64::from(limit)).await
}
