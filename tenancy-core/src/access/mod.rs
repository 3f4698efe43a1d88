//! Access rules: who may do what in an organization, whose it is, and
//! whether its billing lets its team act.
//!
//! The rules live here, once, instead of in every route: a user's
//! permissions are their active role assignments intersected with what the
//! organization's tier allows, read in one statement on every check (so a
//! revoked role stops working at once, on every app instance); the owner is
//! `organizations.owner_id` alone, who holds every permission the tier
//! allows and cannot be deactivated; billing decides, through
//! [`billing::BillingPolicy`](crate::billing::BillingPolicy), whether the
//! team, only the owner, or (always) developers may act. Every change is
//! written to the audit log in the same transaction.
//!
//! The tables are in [`schema`]; the models ([`User`], [`Membership`], [`Role`],
//! [`RoleAssignment`], [`StoredPermission`]) are ordinary
//! scoped models, readable with the usual operations.

mod billing;
mod cache;
mod event_log;
mod models;
mod permission;
mod rules;
mod session;
mod store;

pub use billing::{
    WebhookFailure, WebhookOutcome, apply_stripe_webhook, billing_state, link_stripe_customer,
    may_act, standing,
};
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
    Credential, RequestContext, SessionToken, SignInRefusal, issue_session, request_context,
    revoke_session, select_org, sign_in,
};
#[doc(hidden)]
pub use store::{AccessStore, SessionStore};

/// The tables of access rules, for each backend: apply them with
/// [`apply`](schema::apply), or copy both files of each backend into your
/// own migrations (`tenancy-core/migrations/`): `0001_access.sql`, the
/// tables, and `0002_access_version.sql`, the version and the triggers that
/// keep [`ContextCache`] from serving a changed context.
pub mod schema {
    /// The tables on SQLite.
    pub const SQLITE: &str = concat!(
        include_str!("../../migrations/sqlite/0001_access.sql"),
        include_str!("../../migrations/sqlite/0002_access_version.sql"),
    );
    /// The tables on PostgreSQL.
    pub const POSTGRES: &str = concat!(
        include_str!("../../migrations/postgres/0001_access.sql"),
        include_str!("../../migrations/postgres/0002_access_version.sql"),
    );

    /// Creates the tables, the access version and its triggers.
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) when a statement fails,
    /// for instance because the tables exist.
    pub async fn apply<DB>(pool: &sqlx::Pool<DB>) -> crate::Result<()>
    where
        DB: super::AccessStore,
    {
        let sql = if <DB as sqlx::Database>::NAME == "PostgreSQL" {
            POSTGRES
        } else {
            SQLITE
        };
        let mut conn = crate::exec::acquire(pool).await?;
        sqlx::raw_sql(sql)
            .execute(DB::__executor(&mut **conn))
            .await?;
        Ok(())
    }
}
