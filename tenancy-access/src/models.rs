//! The tables of access rules as apps read them: users, members,
//! memberships, roles, role assignments, permissions and invitations.
//!
//! Every model here is `read_only`: its rows are read with the usual scoped
//! operations of `tenancy-core`, and written only by the rules of this crate
//! (`assign_role`, `deactivate_member`, `invite`...), which check who acts,
//! keep the owner in place and write the audit log in the same
//! transaction. Writing them through the model does not compile.
//!
//! Users are not a model: one user may belong to several organizations, so
//! no organization may list them all. A [`Scope`](tenancy_core::Scope) sees
//! the [`Member`]s of its organization ([`members`](crate::members)), without
//! their emails; a [`SystemScope`](tenancy_core::SystemScope) sees every
//! [`User`] ([`users`](crate::users)).

use chrono::{DateTime, Utc};
use serde::Serialize;
use tenancy_core::{Id, OrgId, UserId};

/// Someone who signs in: global, since one user may belong to several
/// organizations (a membership each). Read only across organizations
/// ([`users`](crate::users), [`user`](crate::user)).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct User {
    /// The user's id.
    pub id: Id<User>,
    /// Where they sign in with; unique, stored in lower case.
    pub email: String,
    /// How they are shown.
    pub name: String,
    /// Staff of the app, who may act inside any organization they select.
    pub is_developer: bool,
    /// An IANA time zone name, for showing the user's times.
    pub timezone: String,
    /// When they last signed in.
    pub last_login_at: Option<DateTime<Utc>>,
    /// When they last made a request, as the [`ContextCache`](crate::ContextCache)
    /// records it: at most once a minute per session.
    pub last_active_at: Option<DateTime<Utc>>,
    /// When the user was created.
    pub created_at: DateTime<Utc>,
}

impl User {
    /// The id as a principal id, for scopes.
    #[must_use]
    pub fn user_id(&self) -> UserId {
        UserId::new(self.id.get())
    }
}

/// A new user, for [`create_user`](crate::create_user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Where they sign in with: trimmed and stored in lower case.
    pub email: String,
    /// How they are shown.
    pub name: String,
    /// Staff of the app: acts inside any organization it selects.
    pub is_developer: bool,
}

/// A member of an organization as the organization sees them: no email,
/// nothing of their other organizations.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Member {
    /// The membership.
    pub membership_id: Id<Membership>,
    /// The user.
    pub user_id: Id<User>,
    /// How they are shown.
    pub name: String,
    /// Their IANA time zone name.
    pub timezone: String,
    /// Whether the membership is active.
    pub is_active: bool,
    /// Whether they own the organization.
    pub is_owner: bool,
    /// When they last made a request.
    pub last_active_at: Option<DateTime<Utc>>,
}

/// A user's membership of an organization. Deactivating it
/// ([`deactivate_member`](crate::deactivate_member)) deactivates the
/// member's role assignments; restoring it restores exactly those.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, tenancy_core::Scoped)]
#[tenancy(table = "memberships", read_only)]
pub struct Membership {
    /// The membership's id.
    pub id: Id<Membership>,
    /// The organization.
    pub organization_id: OrgId,
    /// The member; a membership never moves to another user.
    pub user_id: Id<User>,
    /// Whether the member may act.
    pub is_active: bool,
    /// When the member joined.
    pub created_at: DateTime<Utc>,
    /// When the membership last changed.
    pub updated_at: DateTime<Utc>,
}

/// A role: a named set of permissions, of one organization (custom roles)
/// or of none (system roles, which every organization sees).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, tenancy_core::Scoped)]
#[tenancy(table = "roles", shared, read_only)]
pub struct Role {
    /// The role's id.
    pub id: Id<Role>,
    /// The organization of a custom role; `None` for a system role.
    pub organization_id: Option<OrgId>,
    /// How the role is shown.
    pub name: String,
    /// Whether the role grants anything.
    pub is_active: bool,
    /// When the role was created.
    pub created_at: DateTime<Utc>,
    /// When the role last changed.
    pub updated_at: DateTime<Utc>,
}

/// A role given to a member of an organization.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, tenancy_core::Scoped)]
#[tenancy(table = "user_role_assignments", read_only)]
pub struct RoleAssignment {
    /// The assignment's id.
    pub id: Id<RoleAssignment>,
    /// The organization.
    pub organization_id: OrgId,
    /// The member who holds the role.
    #[tenancy(references = Membership)]
    pub membership_id: Id<Membership>,
    /// The role: the organization's own or a system role.
    #[tenancy(references = Role)]
    pub role_id: Id<Role>,
    /// When it was given.
    pub assigned_at: DateTime<Utc>,
    /// Who gave it; `None` for a job or the system.
    pub assigned_by: Option<Id<User>>,
    /// Whether it grants its role's permissions.
    pub is_active: bool,
    /// Set when deactivating the membership deactivated it, so that
    /// restoring the membership restores exactly these.
    pub deactivated_with_membership: bool,
    /// When the assignment last changed.
    pub updated_at: DateTime<Utc>,
}

/// A permission as stored: global, written by
/// [`sync_permissions`](crate::sync_permissions).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, tenancy_core::Scoped)]
#[tenancy(table = "permissions", global, read_only)]
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

/// An invitation to join an organization, as the organization sees it:
/// never its token, which only the invitee holds.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, tenancy_core::Scoped)]
#[tenancy(table = "invitations", read_only)]
pub struct Invitation {
    /// The invitation's id.
    pub id: Id<Invitation>,
    /// The organization invited to.
    pub organization_id: OrgId,
    /// Whom it invites, in lower case.
    pub email: String,
    /// The role the new member gets, if any.
    #[tenancy(references = Role)]
    pub role_id: Option<Id<Role>>,
    /// Who invited.
    pub invited_by: Option<Id<User>>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops being valid.
    pub expires_at: DateTime<Utc>,
    /// When it was accepted, if it was.
    pub accepted_at: Option<DateTime<Utc>>,
    /// Who accepted it.
    pub accepted_by: Option<Id<User>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}
