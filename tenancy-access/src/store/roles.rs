//! The statements that write roles, their permissions and who holds
//! them, once per backend. Each names the organization it acts in, or is
//! run only by rules that checked the role is one the organization may
//! change.

// Without a backend feature nothing instantiates the statements below.
#![cfg_attr(
    not(any(feature = "sqlite", feature = "postgres")),
    allow(dead_code, unused_imports, unused_macros)
)]

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use tenancy_core::{Backend, Id, OrgId, Result};

use super::Key;
use crate::models::{Membership, Role, RoleAssignment, User};

/// The statements of roles.
#[doc(hidden)]
pub trait RoleStore: Backend {
    /// Inserts an active assignment.
    fn __assign(
        _: Key,
        conn: &mut Self::Connection,
        org: OrgId,
        membership: Id<Membership>,
        role: Id<Role>,
        by: Option<Id<User>>,
        now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<Id<RoleAssignment>>>;
    /// Deactivates an active assignment; `false` when none has this id.
    fn __revoke(
        _: Key,
        conn: &mut Self::Connection,
        org: OrgId,
        assignment: Id<RoleAssignment>,
        now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<bool>>;
    /// Inserts an active role, of `org` or (`None`) a system role.
    fn __create_role<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        org: Option<OrgId>,
        name: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Id<Role>>>;
    /// Renames a role and sets whether it is active.
    fn __update_role<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        role: Id<Role>,
        name: &'a str,
        is_active: bool,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<()>>;
    /// Takes the permission `key` from `role`; `false` when it held none.
    fn __remove_permission<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        role: Id<Role>,
        key: &'a str,
    ) -> BoxFuture<'a, Result<bool>>;
    /// The keys of the permissions `role` grants, in order.
    fn __role_permissions(
        _: Key,
        conn: &mut Self::Connection,
        role: Id<Role>,
    ) -> BoxFuture<'_, Result<Vec<String>>>;
}

macro_rules! impl_role_store {
    ($feature:literal, $db:ty) => {
        #[cfg(feature = $feature)]
        impl RoleStore for $db {
            fn __assign(_: Key,
                conn: &mut Self::Connection,
                org: OrgId,
                membership: Id<Membership>,
                role: Id<Role>,
                by: Option<Id<User>>,
                now: DateTime<Utc>,
            ) -> BoxFuture<'_, Result<Id<RoleAssignment>>> {
                Box::pin(async move {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO user_role_assignments (organization_id, membership_id, role_id, \
                         assigned_at, assigned_by, is_active, deactivated_with_membership, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, TRUE, FALSE, $4) RETURNING id",
                    )
                    .bind(org)
                    .bind(membership)
                    .bind(role)
                    .bind(now)
                    .bind(by)
                    .fetch_one(conn)
                    .await?;
                    Ok(Id::new(id))
                })
            }
            fn __revoke(_: Key,
                conn: &mut Self::Connection,
                org: OrgId,
                assignment: Id<RoleAssignment>,
                now: DateTime<Utc>,
            ) -> BoxFuture<'_, Result<bool>> {
                Box::pin(async move {
                    let changed = sqlx::query(
                        "UPDATE user_role_assignments SET is_active = FALSE, updated_at = $3 \
                         WHERE organization_id = $1 AND id = $2 AND is_active",
                    )
                    .bind(org)
                    .bind(assignment)
                    .bind(now)
                    .execute(conn)
                    .await?;
                    Ok(changed.rows_affected() == 1)
                })
            }
            fn __create_role<'a>(_: Key,
                conn: &'a mut Self::Connection,
                org: Option<OrgId>,
                name: &'a str,
                now: DateTime<Utc>,
            ) -> BoxFuture<'a, Result<Id<Role>>> {
                Box::pin(async move {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO roles (organization_id, name, is_active, created_at, updated_at) \
                         VALUES ($1, $2, TRUE, $3, $3) RETURNING id",
                    )
                    .bind(org)
                    .bind(name)
                    .bind(now)
                    .fetch_one(conn)
                    .await?;
                    Ok(Id::new(id))
                })
            }
            fn __update_role<'a>(_: Key,
                conn: &'a mut Self::Connection,
                role: Id<Role>,
                name: &'a str,
                is_active: bool,
                now: DateTime<Utc>,
            ) -> BoxFuture<'a, Result<()>> {
                Box::pin(async move {
                    sqlx::query("UPDATE roles SET name = $2, is_active = $3, updated_at = $4 WHERE id = $1")
                        .bind(role)
                        .bind(name)
                        .bind(is_active)
                        .bind(now)
                        .execute(conn)
                        .await?;
                    Ok(())
                })
            }
            fn __remove_permission<'a>(_: Key,
                conn: &'a mut Self::Connection,
                role: Id<Role>,
                key: &'a str,
            ) -> BoxFuture<'a, Result<bool>> {
                Box::pin(async move {
                    let changed = sqlx::query(
                        "DELETE FROM role_permissions WHERE role_id = $1 \
                         AND permission_id IN (SELECT id FROM permissions WHERE key = $2)",
                    )
                    .bind(role)
                    .bind(key)
                    .execute(conn)
                    .await?;
                    Ok(changed.rows_affected() > 0)
                })
            }
            fn __role_permissions(_: Key,
                conn: &mut Self::Connection,
                role: Id<Role>,
            ) -> BoxFuture<'_, Result<Vec<String>>> {
                Box::pin(async move {
                    let keys: Vec<String> = sqlx::query_scalar(
                        "SELECT p.key FROM role_permissions rp JOIN permissions p ON p.id = rp.permission_id \
                         WHERE rp.role_id = $1 ORDER BY p.key",
                    )
                    .bind(role)
                    .fetch_all(conn)
                    .await?;
                    Ok(keys)
                })
            }
        }
    };
}

impl_role_store!("sqlite", sqlx::Sqlite);
impl_role_store!("postgres", sqlx::Postgres);
