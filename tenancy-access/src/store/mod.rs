//! The statements of access rules, once per backend.
//!
//! The rules themselves ([`super`]) are written once, generically; what
//! they need from the database goes through [`AccessStore`], whose methods
//! are the same code instantiated for each backend by a macro, where sqlx
//! can bind and decode concrete types. Every statement here names the
//! organization it acts for.

// Without a backend feature nothing instantiates the statements below.
#![cfg_attr(
    not(any(feature = "sqlite", feature = "postgres")),
    allow(dead_code, unused_imports, unused_macros)
)]

use futures_util::future::BoxFuture;
use sqlx::Connection;

use super::models::{Invitation, Membership, Role, RoleAssignment};
use super::permission::{PermissionDef, PermissionSet};
use tenancy_core::Result;
use tenancy_core::Scope;
use tenancy_core::{Id, OrgId, UserId};

mod audit;
mod context;
mod credentials;
mod org;
mod people;
mod roles;

/// A borrowed connection whose type no longer says where it came from.
pub(crate) type Borrowed<'c, DB> =
    Box<dyn std::ops::DerefMut<Target = <DB as sqlx::Database>::Connection> + Send + 'c>;

/// Borrows a connection from anything that lends one (a pool, a
/// connection, a transaction) and hides its type: a future that holds an
/// `A::Connection` across an `.await` is not `Send` when `A` is `&mut
/// SqliteConnection`, as far as the compiler can prove, and every rule
/// must run in a spawned task or an axum handler.
pub(crate) fn acquire<'c, A, DB>(lender: A) -> BoxFuture<'c, Result<Borrowed<'c, DB>>>
where
    A: sqlx::Acquire<'c, Database = DB> + Send + 'c,
    DB: sqlx::Database,
{
    Box::pin(async move {
        let connection = lender.acquire().await?;
        Ok(Box::new(connection) as Borrowed<'c, DB>)
    })
}

pub use audit::AuditStore;
pub use context::SessionStore;
pub(crate) use context::{Live, Lookup};
pub use credentials::CredentialStore;
pub use org::OrgStore;
pub use people::PeopleStore;
pub use roles::RoleStore;

mod sealed {
    pub trait Sealed {}

    /// Proof that a statement is run by this crate's rules: every
    /// statement takes one, and no other crate can make one, so none can
    /// write the access tables around their checks and audit rows.
    #[derive(Clone, Copy, Debug)]
    pub struct Key(());

    /// The one key.
    pub(crate) const KEY: Key = Key(());
}

pub(crate) use sealed::{KEY, Key};

/// A backend that stores access rules: `sqlx::Sqlite` and `sqlx::Postgres`.
#[doc(hidden)]
pub trait AccessStore:
    SessionStore + PeopleStore + RoleStore + OrgStore + AuditStore + CredentialStore + sealed::Sealed
{
    /// The permissions of `user` in `org` (all those the tier allows when
    /// `all`), in one statement.
    fn __permissions<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        org: OrgId,
        user: Option<UserId>,
        all: bool,
    ) -> BoxFuture<'a, Result<PermissionSet>>;

    /// Inserts or updates a declared permission, by key; `false` when it
    /// was stored as it is.
    fn __sync_permission<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        def: &'a PermissionDef,
    ) -> BoxFuture<'a, Result<bool>>;

    /// Grants the permission `key` to `role`; `false` if no such permission.
    fn __grant<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        role: Id<Role>,
        key: &'a str,
    ) -> BoxFuture<'a, Result<bool>>;

    /// Whether `user` is an active member of `org`.
    fn __is_member(
        _: Key,
        conn: &mut Self::Connection,
        org: OrgId,
        user: UserId,
    ) -> BoxFuture<'_, Result<bool>>;

    /// A membership the scope may see, active or not.
    fn __membership<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        scope: &'a Scope,
        id: Id<Membership>,
    ) -> BoxFuture<'a, Result<Membership>>;

    /// A role the scope may see.
    fn __role<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        scope: &'a Scope,
        id: Id<Role>,
    ) -> BoxFuture<'a, Result<Role>>;

    /// A system role.
    fn __system_role(
        _: Key,
        conn: &mut Self::Connection,
        id: Id<Role>,
    ) -> BoxFuture<'_, Result<Option<Role>>>;

    /// A role assignment the scope may see, active or not.
    fn __assignment<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        scope: &'a Scope,
        id: Id<RoleAssignment>,
    ) -> BoxFuture<'a, Result<RoleAssignment>>;

    /// An invitation the scope may see.
    fn __invitation<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        scope: &'a Scope,
        id: Id<Invitation>,
    ) -> BoxFuture<'a, Result<Invitation>>;

    /// Whether the membership holds the role through an active assignment.
    fn __holds_role<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        scope: &'a Scope,
        membership: Id<Membership>,
        role: Id<Role>,
    ) -> BoxFuture<'a, Result<bool>>;

    /// Starts a transaction (a savepoint inside one).
    fn __begin(
        _: Key,
        conn: &mut Self::Connection,
    ) -> BoxFuture<'_, Result<sqlx::Transaction<'_, Self>>>;
}

/// The effective permissions: declared permissions the tier allows, held
/// by the owner, through an active role of an active membership, or by all
/// (`$3`).
const PERMISSIONS: &str = "SELECT p.key FROM permissions p \
    JOIN organizations o ON o.id = $1 \
    LEFT JOIN subscription_tiers need ON need.key = p.required_tier \
    LEFT JOIN subscription_tiers have ON have.key = o.tier \
    WHERE (p.required_tier IS NULL OR COALESCE(have.rank, 0) >= need.rank) \
    AND ($3 OR o.owner_id = $2 OR EXISTS ( \
        SELECT 1 FROM user_role_assignments a \
        JOIN memberships m ON m.organization_id = a.organization_id AND m.id = a.membership_id \
        JOIN roles r ON r.id = a.role_id \
        JOIN role_permissions rp ON rp.role_id = r.id \
        WHERE a.organization_id = $1 AND m.user_id = $2 AND rp.permission_id = p.id \
        AND a.is_active AND m.is_active AND r.is_active \
        AND (r.organization_id = $1 OR r.organization_id IS NULL))) \
    ORDER BY p.key";

macro_rules! impl_access_store {
    ($feature:literal, $db:ty) => {
        #[cfg(feature = $feature)]
        impl sealed::Sealed for $db {}

        #[cfg(feature = $feature)]
        impl AccessStore for $db {
            fn __permissions<'a>(_: Key,
                conn: &'a mut Self::Connection,
                org: OrgId,
                user: Option<UserId>,
                all: bool,
            ) -> BoxFuture<'a, Result<PermissionSet>> {
                Box::pin(async move {
                    let keys: Vec<String> = sqlx::query_scalar(PERMISSIONS)
                        .bind(org)
                        .bind(user)
                        .bind(all)
                        .fetch_all(conn)
                        .await?;
                    Ok(PermissionSet::from_keys(keys))
                })
            }

            fn __sync_permission<'a>(_: Key,
                conn: &'a mut Self::Connection,
                def: &'a PermissionDef,
            ) -> BoxFuture<'a, Result<bool>> {
                Box::pin(async move {
                    let changed = sqlx::query(
                        "INSERT INTO permissions (key, category, required_tier, description) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET \
                         category = excluded.category, required_tier = excluded.required_tier, \
                         description = excluded.description \
                         WHERE permissions.category IS DISTINCT FROM excluded.category \
                         OR permissions.required_tier IS DISTINCT FROM excluded.required_tier \
                         OR permissions.description IS DISTINCT FROM excluded.description",
                    )
                    .bind(def.key)
                    .bind(def.category)
                    .bind(def.required_tier)
                    .bind(def.description)
                    .execute(conn)
                    .await?;
                    Ok(changed.rows_affected() > 0)
                })
            }

            fn __grant<'a>(_: Key,
                conn: &'a mut Self::Connection,
                role: Id<Role>,
                key: &'a str,
            ) -> BoxFuture<'a, Result<bool>> {
                Box::pin(async move {
                    let permission: Option<i64> =
                        sqlx::query_scalar("SELECT id FROM permissions WHERE key = $1")
                            .bind(key)
                            .fetch_optional(&mut *conn)
                            .await?;
                    let Some(permission) = permission else {
                        return Ok(false);
                    };
                    sqlx::query(
                        "INSERT INTO role_permissions (role_id, permission_id) VALUES ($1, $2) \
                         ON CONFLICT (role_id, permission_id) DO NOTHING",
                    )
                    .bind(role)
                    .bind(permission)
                    .execute(conn)
                    .await?;
                    Ok(true)
                })
            }

            fn __is_member(_: Key, conn: &mut Self::Connection, org: OrgId, user: UserId) -> BoxFuture<'_, Result<bool>> {
                Box::pin(async move {
                    let found: Option<i64> = sqlx::query_scalar(
                        "SELECT id FROM memberships WHERE organization_id = $1 AND user_id = $2 AND is_active",
                    )
                    .bind(org)
                    .bind(user)
                    .fetch_optional(conn)
                    .await?;
                    Ok(found.is_some())
                })
            }

            fn __membership<'a>(_: Key,
                conn: &'a mut Self::Connection,
                scope: &'a Scope,
                id: Id<Membership>,
            ) -> BoxFuture<'a, Result<Membership>> {
                use tenancy_core::Scoped as _;
                Box::pin(async move {
                    Membership::find(scope, id).fetch_one(conn).await
                })
            }

            fn __role<'a>(_: Key, conn: &'a mut Self::Connection, scope: &'a Scope, id: Id<Role>) -> BoxFuture<'a, Result<Role>> {
                use tenancy_core::Scoped as _;
                Box::pin(async move { Role::find(scope, id).fetch_one(conn).await })
            }

            fn __system_role(_: Key, conn: &mut Self::Connection, id: Id<Role>) -> BoxFuture<'_, Result<Option<Role>>> {
                use tenancy_core::Scoped as _;
                Box::pin(async move {
                    let system = tenancy_core::SystemScope::new("access rules: system roles")?;
                    Role::select_across_orgs(&system)
                        .filter(Role::ID.eq(id).and(Role::ORGANIZATION_ID.is_null()))
                        .fetch_optional(conn)
                        .await
                })
            }

            fn __assignment<'a>(_: Key,
                conn: &'a mut Self::Connection,
                scope: &'a Scope,
                id: Id<RoleAssignment>,
            ) -> BoxFuture<'a, Result<RoleAssignment>> {
                use tenancy_core::Scoped as _;
                Box::pin(async move { RoleAssignment::find(scope, id).fetch_one(conn).await })
            }

            fn __invitation<'a>(_: Key,
                conn: &'a mut Self::Connection,
                scope: &'a Scope,
                id: Id<Invitation>,
            ) -> BoxFuture<'a, Result<Invitation>> {
                use tenancy_core::Scoped as _;
                Box::pin(async move { Invitation::find(scope, id).fetch_one(conn).await })
            }

            fn __holds_role<'a>(_: Key,
                conn: &'a mut Self::Connection,
                scope: &'a Scope,
                membership: Id<Membership>,
                role: Id<Role>,
            ) -> BoxFuture<'a, Result<bool>> {
                use tenancy_core::Scoped as _;
                Box::pin(async move {
                    let held = RoleAssignment::select(scope)
                        .filter(
                            RoleAssignment::MEMBERSHIP_ID
                                .eq(membership)
                                .and(RoleAssignment::ROLE_ID.eq(role))
                                .and(RoleAssignment::IS_ACTIVE.eq(true)),
                        )
                        .count(conn)
                        .await?;
                    Ok(held > 0)
                })
            }

            fn __begin(_: Key, conn: &mut Self::Connection) -> BoxFuture<'_, Result<sqlx::Transaction<'_, Self>>> {
                Box::pin(async move { Ok(conn.begin().await?) })
            }
        }
    };
}

impl_access_store!("sqlite", sqlx::Sqlite);
impl_access_store!("postgres", sqlx::Postgres);
