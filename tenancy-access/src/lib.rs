//! Access rules for `tenancy` apps: who may do what in an organization,
//! whose it is, and whether its billing lets its team act.
//!
//! `tenancy-core` keeps each organization's rows apart; this crate decides
//! who acts for an organization at all. The rules live here, once, instead
//! of in every route: a user's permissions are their active role
//! assignments intersected with what the organization's tier allows, read
//! in one statement on every check (so a revoked role stops working at
//! once, on every app instance); the owner is `organizations.owner_id`
//! alone, who holds every permission the tier allows and cannot be
//! deactivated; billing decides, through
//! [`BillingPolicy`](billing::BillingPolicy), whether the team, only the
//! owner, or (always) developers may act. Every change is written to the
//! audit log in the same transaction.
//!
//! The tables are in [`schema`]; the models ([`User`], [`Membership`],
//! [`Role`], [`RoleAssignment`], [`StoredPermission`]) are scoped models of
//! `tenancy-core`, read with its usual operations. `tenancy-axum` turns the
//! rules into a layer and extractors.
//!
//! # Feature flags
//!
//! | feature    | enables |
//! |------------|---------|
//! | `sqlite`   | the rules on `sqlx::Sqlite` |
//! | `postgres` | the rules on `sqlx::Postgres` |
#![cfg_attr(docsrs, feature(doc_cfg))]

mod admission;
pub mod billing;
mod cache;
mod event_log;
mod invitation;
mod models;
mod organization;
mod password;
mod permission;
mod rules;
pub mod schema;
mod session;
mod sign_in;
mod store;
mod users;

pub use admission::{Admitted, Refusal, admit};
pub use cache::{CacheStats, ContextCache, DEFAULT_CAPACITY};
pub use event_log::{AuditCursor, AuditPage, AuditQuery, EventKind, LoggedEvent, Subject};
pub use invitation::{
    Acceptance, Accepted, DEFAULT_INVITATION_TTL, InvitationToken, accept_invitation, invite,
    revoke_invitation,
};
pub use models::{
    Invitation, Member, Membership, NewUser, Role, RoleAssignment, StoredPermission, User,
};
pub use organization::{
    MANAGE_ORGANIZATION, Organization, OrganizationChanges, create_organization, organization,
    set_organization_active, update_organization,
};
pub use password::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, Passwords, Verdict};
pub use permission::{Permission, PermissionDef, PermissionSet, is_valid_key};
pub use rules::{
    MANAGE_MEMBERS, add_member, assign_role, assign_system_role, audit_log, create_role,
    create_system_role, deactivate_member, grant, grant_system, member, members, owner,
    permissions, record_app_event, remove_permission, require, restore_member, revoke_role,
    role_permissions, sync_permissions, transfer_ownership, update_role,
};
pub use session::{
    Credential, RequestContext, SessionToken, issue_session, request_context, revoke_session,
    select_org,
};
pub use sign_in::{
    FREE_ATTEMPTS, MAX_DELAY, SignInError, change_password, delay_after, set_password, sign_in,
    sign_in_with_password,
};
#[doc(hidden)]
pub use store::{AccessStore, AuditStore, CredentialStore, PeopleStore, SessionStore};
pub use users::{create_user, revoke_sessions, user, user_by_email, users};
