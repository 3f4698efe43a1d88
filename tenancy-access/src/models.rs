//! The tables of access rules, as models: users, memberships, roles, role
//! assignments and permissions.
//!
//! They are ordinary models of this crate, so apps read them with the same
//! scoped operations as their own tables. Write memberships, roles and
//! assignments through the functions of [`access`](super) (`assign_role`,
//! `deactivate_member`, ...): they check who acts, keep the owner in place
//! and write the audit log, which the models' own inserts, updates and
//! deletes do not. The columns that must never change (a membership's user,
//! an assignment's member and role) are `fixed`: no update can set them.

use chrono::{DateTime, Utc};
use serde::Serialize;

use tenancy_core::{Id, OrgId, UserId};

/// Someone who signs in: global, since one user may belong to several
/// organizations (a membership each).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, tenancy_core::Scoped)]
#[tenancy(table = "users", global)]
pub struct User {
    /// The user's id.
    pub id: Id<User>,
    /// Where they sign in with; unique.
    pub email: String,
    /// How they are shown.
    pub name: String,
    /// Staff of the app, who may act inside any organization they select.
    pub is_developer: bool,
}

impl User {
    /// The id as a principal id, for scopes.
    #[must_use]
    pub fn user_id(&self) -> UserId {
        UserId::new(self.id.get())
    }
}

/// A user's membership of an organization. Deleting it (soft) deactivates
/// the member's role assignments; restoring it restores exactly those.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, tenancy_core::Scoped)]
#[tenancy(table = "memberships", soft_delete, cascade(RoleAssignment))]
pub struct Membership {
    /// The membership's id.
    pub id: Id<Membership>,
    /// The organization.
    pub organization_id: OrgId,
    /// The member; a membership never moves to another user.
    #[tenancy(fixed)]
    pub user_id: Id<User>,
    /// Whether the member may act.
    pub is_active: bool,
}

/// A role: a named set of permissions, of one organization (custom roles)
/// or of none (system roles, which every organization sees).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, tenancy_core::Scoped)]
#[tenancy(table = "roles", shared, soft_delete)]
pub struct Role {
    /// The role's id.
    pub id: Id<Role>,
    /// The organization of a custom role; `None` for a system role.
    pub organization_id: Option<OrgId>,
    /// How the role is shown.
    pub name: String,
    /// Whether the role grants anything.
    pub is_active: bool,
}

/// A role given to a member of an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, tenancy_core::Scoped)]
#[tenancy(table = "user_role_assignments", soft_delete)]
pub struct RoleAssignment {
    /// The assignment's id.
    pub id: Id<RoleAssignment>,
    /// The organization.
    pub organization_id: OrgId,
    /// The member who holds the role.
    #[tenancy(references = Membership, fixed)]
    pub membership_id: Id<Membership>,
    /// The role: the organization's own or a system role.
    #[tenancy(references = Role, fixed)]
    pub role_id: Id<Role>,
    /// When it was given.
    #[tenancy(fixed)]
    pub assigned_at: DateTime<Utc>,
    /// Who gave it; `None` for a job or the system.
    #[tenancy(fixed)]
    pub assigned_by: Option<Id<User>>,
    /// Whether it grants its role's permissions.
    pub is_active: bool,
    /// Set when deactivating the membership deactivated it.
    #[tenancy(cascade_marker)]
    pub deactivated_with_membership: bool,
}

/// A permission as stored: global, written by
/// [`sync_permissions`](super::sync_permissions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, tenancy_core::Scoped)]
#[tenancy(table = "permissions", global)]
pub struct StoredPermission {
    /// The permission's id.
    pub id: Id<StoredPermission>,
    /// `area.action`.
    pub key: String,
    /// The group it is shown in.
    pub category: String,
    /// The tier an organization needs for it, if any.
    pub required_tier: Option<String>,
    /// What it allows.
    pub description: String,
}
