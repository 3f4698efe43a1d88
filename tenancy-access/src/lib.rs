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
//! # Written only through the rules
//!
//! The tables are in [`schema`]. Their models ([`Membership`], [`Role`],
//! [`RoleAssignment`], [`StoredPermission`], [`Invitation`]) are read-only
//! models of `tenancy-core`, read with its usual scoped operations; writing
//! them through the model does not compile, and the statements behind the
//! rules take a key no other crate can make. So every change goes through a
//! function of this crate that checks who acts (the owner, a member holding
//! [`MANAGE_MEMBERS`], a developer or a job) and writes its audit row in the
//! same transaction.
//!
//! Users are seen through organizations: a scope reads its organization's
//! [`members`] (names and time zones, never emails); only a system scope
//! reads every [`User`] ([`users`]).
//!
//! # What it covers
//!
//! - roles and typed permissions ([`permissions!`], [`create_role`],
//!   [`grant`], [`remove_permission`], [`assign_role`], [`require`]);
//! - members ([`add_member`], [`deactivate_member`], [`restore_member`],
//!   [`transfer_ownership`]) and invitations ([`invite`],
//!   [`accept_invitation`]);
//! - sign-in: with a password ([`Passwords`], [`sign_in_with_password`],
//!   [`change_password`]) or as a user the app authenticated ([`sign_in`]),
//!   both admitted by the one rule every request follows ([`admit`]);
//!   sessions ([`issue_session`], [`revoke_sessions`]) and the request
//!   context, cached and checked on every use ([`ContextCache`]);
//! - the organization ([`organization`], [`update_organization`],
//!   [`set_organization_active`]) and its billing ([`billing`]: the policy,
//!   Stripe's webhooks applied at most once);
//! - the audit log: the library's events and the app's own
//!   ([`record_app_event`]), paged for owners ([`audit_log`]).
//!
//! `tenancy-axum` turns the rules into a layer, extractors and rejections.
//!
//! # Feature flags
//!
//! | feature    | enables |
//! |------------|---------|
//! | `sqlite`   | the rules on `sqlx::Sqlite` |
//! | `postgres` | the rules on `sqlx::Postgres` |
//! | `openapi` | utoipa schemas of the rows an API sends (users, members, roles, invitations, the organization, audit pages) |
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
mod sign_up;
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
    organizations, set_organization_active, update_organization,
};
pub use password::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, Passwords, QUEUED_PER_THREAD, Verdict};
pub use permission::{Permission, PermissionDef, PermissionSet, is_valid_key};
pub use rules::{
    MANAGE_MEMBERS, add_member, assign_role, assign_system_role, audit_log, create_role,
    create_system_role, deactivate_member, grant, grant_key, grant_system, member, members, owner,
    permissions, record_app_event, remove_permission, remove_permission_key, require,
    restore_member, revoke_role, role_permissions, sync_permissions, transfer_ownership,
    update_role,
};
pub use session::{
    Credential, RequestContext, SessionToken, issue_session, request_context, revoke_session,
    select_org,
};
pub use sign_in::{
    FREE_ATTEMPTS, MAX_DELAY, PasswordAttempt, SignInError, change_password, delay_after,
    set_password, sign_in, sign_in_with_password,
};
pub use sign_up::{SignUp, SignedUp, sign_up};
#[doc(hidden)]
pub use store::{
    AccessStore, AuditStore, CredentialStore, OrgStore, PeopleStore, RoleStore, SessionStore,
};
pub use users::{create_user, revoke_sessions, user, user_by_email, users};
