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
mod models;
mod permission;
mod rules;
pub mod schema;
mod session;
mod store;

pub use admission::{Admitted, Refusal, admit};
pub use cache::{CacheStats, ContextCache, DEFAULT_CAPACITY};
pub use event_log::{EventKind, LoggedEvent, NewEvent};
pub use models::{
    Membership, NewMembership, NewRole, NewRoleAssignment, NewStoredPermission, NewUser, Role,
    RoleAssignment, StoredPermission, User,
};
pub use permission::{Permission, PermissionDef, PermissionSet, is_valid_key};
pub use rules::{
    MANAGE_MEMBERS, assign_role, assign_system_role, audit_events, create_organization,
    deactivate_member, grant, grant_system, owner, permissions, record_event, require,
    restore_member, revoke_role, sync_permissions, transfer_ownership,
};
pub use session::{
    Credential, RequestContext, SessionToken, SignInError, issue_session, request_context,
    revoke_session, select_org, sign_in,
};
#[doc(hidden)]
pub use store::{AccessStore, SessionStore};
