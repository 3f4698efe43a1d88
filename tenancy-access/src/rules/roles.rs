//! Roles and what they grant: custom roles of an organization and system
//! roles every organization sees, their permissions, and who holds them.

use crate::store::KEY;
use chrono::Utc;
use serde_json::json;
use sqlx::Acquire;
use tenancy_core::{Actor, ActsAcrossOrgs, Error, Id, OrgId, Result, Scope, UserId};

use super::{actor_user, authorize_management, event, record};
use crate::event_log::EventKind;
use crate::models::{Membership, Role, RoleAssignment};
use crate::permission::Permission;
use crate::store::AccessStore;

/// The longest role name, in characters.
const MAX_NAME: usize = 100;

/// A role or organization name: trimmed, 1 to 100 characters, no control
/// characters.
pub(crate) fn checked_name(field: &'static str, name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            "a name is 1 to 100 characters, without control characters",
        ));
    }
    Ok(name.to_owned())
}

/// One of the organization's own roles, for a change: a system role is
/// [`Error::Forbidden`] (only a system scope changes those), another
/// organization's [`Error::NotFound`].
async fn own_role<DB: AccessStore>(
    conn: &mut DB::Connection,
    scope: &Scope,
    role: Id<Role>,
) -> Result<Role> {
    let found = DB::__role(KEY, conn, scope, role).await?;
    if found.organization_id == Some(scope.org()) {
        Ok(found)
    } else {
        Err(Error::Forbidden)
    }
}

/// A new custom role of the scope's organization, granting nothing yet.
///
/// Only the owner, a member holding [`MANAGE_MEMBERS`](crate::MANAGE_MEMBERS),
/// a developer or a job may; the same holds for every rule that manages
/// members and roles.
///
/// # Errors
///
/// [`Error::Forbidden`] for anyone else; [`Error::Invalid`] naming `name`
/// for an empty or overlong name.
pub async fn create_role<'c, A, DB>(conn: A, scope: &Scope, name: &str) -> Result<Role>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let name = checked_name("name", name)?;
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    authorize_management::<DB>(&mut tx, scope).await?;
    let id = DB::__create_role(KEY, &mut tx, Some(scope.org()), &name, Utc::now()).await?;
    let detail = json!({ "role_id": id, "name": name });
    record::<DB>(&mut tx, event(scope, EventKind::RoleCreated, None, detail)).await?;
    let role = DB::__role(KEY, &mut tx, scope, id).await?;
    tx.commit().await?;
    Ok(role)
}

/// A new system role, which every organization sees and only a system
/// scope changes or assigns.
///
/// # Errors
///
/// [`Error::Invalid`] naming `name` for an empty or overlong name.
pub async fn create_system_role<'c, A, DB>(
    conn: A,
    system: &impl ActsAcrossOrgs,
    name: &str,
) -> Result<Role>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let _ = system.acting_reason();
    let name = checked_name("name", name)?;
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    let id = DB::__create_role(KEY, &mut tx, None, &name, Utc::now()).await?;
    let detail = json!({ "role_id": id, "name": name, "system": true });
    record::<DB>(
        &mut tx,
        crate::event_log::NewEvent::new(None, EventKind::RoleCreated, None, None, detail),
    )
    .await?;
    let role = system_role::<DB>(&mut tx, id).await?;
    tx.commit().await?;
    Ok(role)
}

/// Renames one of the organization's own roles, and activates or
/// deactivates it: a deactivated role grants nothing, to anyone holding it,
/// from the next request on.
///
/// # Errors
///
/// [`Error::NotFound`] for a role the organization cannot see,
/// [`Error::Forbidden`] for a system role or an actor who may not manage
/// roles, [`Error::Invalid`] naming `name` for an empty or overlong name.
pub async fn update_role<'c, A, DB>(
    conn: A,
    scope: &Scope,
    role: Id<Role>,
    name: &str,
    is_active: bool,
) -> Result<Role>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let name = checked_name("name", name)?;
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    let authority = authorize_management::<DB>(&mut tx, scope).await?;
    let before = own_role::<DB>(&mut tx, scope, role).await?;
    if is_active && !before.is_active {
        // Reactivating hands the role's permissions out again.
        let keys = DB::__role_permissions(KEY, &mut tx, role).await?;
        authority.may_give(keys.iter().map(String::as_str))?;
    }
    DB::__update_role(KEY, &mut tx, role, &name, is_active, Utc::now()).await?;
    let detail = json!({
        "role_id": role,
        "from": { "name": before.name, "is_active": before.is_active },
        "to": { "name": name, "is_active": is_active },
    });
    record::<DB>(&mut tx, event(scope, EventKind::RoleChanged, None, detail)).await?;
    let after = DB::__role(KEY, &mut tx, scope, role).await?;
    tx.commit().await?;
    Ok(after)
}

/// Grants permission `P` to one of the organization's own roles; granting
/// it again changes nothing.
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
    grant_key(conn, scope, role, P::KEY).await
}

/// [`grant`] of a permission named at run time, by its key: for keys that
/// come from a client (a team screen, an API), where no type names them.
/// The key must be one the app declared and synced.
///
/// # Errors
///
/// As [`grant`]; [`Error::Invalid`] naming `permission` for a key that is
/// not in the permission table.
pub async fn grant_key<'c, A, DB>(conn: A, scope: &Scope, role: Id<Role>, key: &str) -> Result<()>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    let authority = authorize_management::<DB>(&mut tx, scope).await?;
    authority.may_give(std::iter::once(key))?;
    own_role::<DB>(&mut tx, scope, role).await?;
    granted(DB::__grant(KEY, &mut tx, role, key).await?, key)?;
    let detail = json!({ "role_id": role, "permission": key });
    record::<DB>(
        &mut tx,
        event(scope, EventKind::PermissionGranted, None, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Grants the permission `key` to a system role.
///
/// # Errors
///
/// [`Error::Invalid`] when `key` was never synced, or `role` is no system
/// role; [`Error::Database`] when a statement fails.
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
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    system_role::<DB>(&mut tx, role).await?;
    granted(DB::__grant(KEY, &mut tx, role, key).await?, key)?;
    let detail = json!({ "role_id": role, "permission": key, "system": true });
    let record_it =
        crate::event_log::NewEvent::new(None, EventKind::PermissionGranted, None, None, detail);
    record::<DB>(&mut tx, record_it).await?;
    tx.commit().await?;
    Ok(())
}

/// A system role, or [`Error::Invalid`] naming `role_id`.
async fn system_role<DB: AccessStore>(conn: &mut DB::Connection, role: Id<Role>) -> Result<Role> {
    DB::__system_role(KEY, conn, role)
        .await?
        .ok_or_else(|| Error::invalid("role_id", "refers to no system role"))
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

/// Takes permission `P` from one of the organization's own roles: whoever
/// holds the role loses it from the next request on. Taking one the role
/// does not grant changes nothing.
///
/// # Errors
///
/// As [`grant`].
pub async fn remove_permission<'c, P, A, DB>(conn: A, scope: &Scope, role: Id<Role>) -> Result<()>
where
    P: Permission,
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    remove_permission_key(conn, scope, role, P::KEY).await
}

/// [`remove_permission`] of a permission named at run time, by its key.
///
/// # Errors
///
/// As [`grant`]; [`Error::Invalid`] naming `permission` for a key that is
/// not of the form `area.action`.
pub async fn remove_permission_key<'c, A, DB>(
    conn: A,
    scope: &Scope,
    role: Id<Role>,
    key: &str,
) -> Result<()>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    if !crate::permission::is_valid_key(key) {
        return Err(Error::invalid("permission", "a key is `area.action`"));
    }
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    authorize_management::<DB>(&mut tx, scope).await?;
    own_role::<DB>(&mut tx, scope, role).await?;
    if DB::__remove_permission(KEY, &mut tx, role, key).await? {
        let detail = json!({ "role_id": role, "permission": key });
        record::<DB>(
            &mut tx,
            event(scope, EventKind::PermissionRemoved, None, detail),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The keys of the permissions a role the organization can see grants
/// (its own or a system role), in order.
///
/// # Errors
///
/// [`Error::NotFound`] for a role the organization cannot see.
pub async fn role_permissions<'c, A, DB>(
    conn: A,
    scope: &Scope,
    role: Id<Role>,
) -> Result<Vec<String>>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let mut conn = crate::store::acquire(conn).await?;
    DB::__role(KEY, &mut conn, scope, role).await?;
    DB::__role_permissions(KEY, &mut conn, role).await
}

/// Gives one of the organization's own roles to one of its active
/// members. A member who manages roles gives only roles whose permissions
/// they hold themselves.
///
/// # Errors
///
/// [`Error::Invalid`] naming `role_id` or `membership_id` when the role or
/// membership is not the organization's (or is inactive);
/// [`Error::Forbidden`] for a system role, which only a system scope
/// assigns ([`assign_system_role`]); [`Error::Conflict`] when the member
/// already holds the role.
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
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    let authority = authorize_management::<DB>(&mut tx, scope).await?;
    let found = DB::__role(KEY, &mut tx, scope, role)
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
    let keys = DB::__role_permissions(KEY, &mut tx, role).await?;
    authority.may_give(keys.iter().map(String::as_str))?;
    let assignment = assign::<DB>(&mut tx, scope, membership, &found).await?;
    tx.commit().await?;
    Ok(assignment)
}

/// Gives a system role to a member of `org`.
///
/// # Errors
///
/// [`Error::Invalid`] naming `role_id` when the role is not a system role,
/// or `membership_id` when the membership is not an active one of `org`.
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
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    let found = system_role::<DB>(&mut tx, role).await?;
    let assignment = assign::<DB>(&mut tx, &scope, membership, &found).await?;
    tx.commit().await?;
    Ok(assignment)
}

/// Writes an assignment of a role already checked, with its audit row.
async fn assign<DB: AccessStore>(
    conn: &mut DB::Connection,
    scope: &Scope,
    membership: Id<Membership>,
    role: &Role,
) -> Result<RoleAssignment> {
    if !role.is_active {
        return Err(Error::invalid("role_id", "the role is deactivated"));
    }
    // Locked, so that a concurrent deactivation either comes first (and the
    // member is refused here) or waits and deactivates this assignment too.
    if DB::__lock_membership(KEY, conn, scope.org(), membership).await? != Some(true) {
        return Err(Error::invalid(
            "membership_id",
            "refers to no active member of this organization",
        ));
    }
    let member = DB::__membership(KEY, conn, scope, membership).await?;
    let by = actor_user(scope).map(|user| Id::new(user.get()));
    let id = DB::__assign(KEY, conn, scope.org(), membership, role.id, by, Utc::now()).await?;
    let detail = json!({ "role_id": role.id, "assignment_id": id });
    let user = Some(UserId::new(member.user_id.get()));
    record::<DB>(conn, event(scope, EventKind::RoleAssigned, user, detail)).await?;
    DB::__assignment(KEY, conn, scope, id).await
}

/// Takes a role away from a member; it stops granting at once.
///
/// # Errors
///
/// [`Error::NotFound`] when no active assignment has this id in the
/// organization; [`Error::Forbidden`] for a member taking a system role,
/// which a system scope gives and takes.
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
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    authorize_management::<DB>(&mut tx, scope).await?;
    let revoked = DB::__assignment(KEY, &mut tx, scope, assignment).await?;
    let by_member = matches!(scope.actor(), Actor::Member { .. });
    if by_member
        && DB::__system_role(KEY, &mut tx, revoked.role_id)
            .await?
            .is_some()
    {
        // A system role is the app's to give and take, as `assign_role` says.
        return Err(Error::Forbidden);
    }
    if !DB::__revoke(KEY, &mut tx, scope.org(), assignment, Utc::now()).await? {
        return Err(Error::NotFound {
            table: "user_role_assignments",
        });
    }
    let member = DB::__membership(KEY, &mut tx, scope, revoked.membership_id).await?;
    let detail = json!({ "role_id": revoked.role_id, "assignment_id": assignment });
    let user = Some(UserId::new(member.user_id.get()));
    record::<DB>(&mut tx, event(scope, EventKind::RoleRevoked, user, detail)).await?;
    tx.commit().await?;
    Ok(())
}
