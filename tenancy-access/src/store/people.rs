//! The statements that write users and memberships, once per backend.
//!
//! The models of these tables are read-only: these statements are their
//! only writers, and each names the organization it acts in (or, for
//! users, is run only by rules that take a system scope).

// Without a backend feature nothing instantiates the statements below.
#![cfg_attr(
    not(any(feature = "sqlite", feature = "postgres")),
    allow(dead_code, unused_imports, unused_macros)
)]

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;

use super::Key;
use tenancy_core::{Backend, Id, OrgId, Result, UserId};

use crate::models::{Member, Membership, User};

/// The statements of people and roles.
#[doc(hidden)]
pub trait PeopleStore: Backend {
    /// Inserts a user; the email is already normalized.
    fn __create_user<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        email: &'a str,
        name: &'a str,
        is_developer: bool,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Id<User>>>;

    /// The users with this id (none or one), or every user.
    fn __users(
        _: Key,
        conn: &mut Self::Connection,
        only: Option<Id<User>>,
    ) -> BoxFuture<'_, Result<Vec<User>>>;

    /// The user with this (normalized) email.
    fn __user_by_email<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        email: &'a str,
    ) -> BoxFuture<'a, Result<Option<Id<User>>>>;

    /// The members of `org`, active or not, or the one who is `only`.
    fn __members(
        _: Key,
        conn: &mut Self::Connection,
        org: OrgId,
        only: Option<Id<User>>,
    ) -> BoxFuture<'_, Result<Vec<Member>>>;

    /// Records that a user signed in (`login`) or made a request.
    fn __touch_user(
        _: Key,
        conn: &mut Self::Connection,
        user: UserId,
        login: bool,
        now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<()>>;

    /// Makes `user` an active member of `org`: a new membership, or the
    /// inactive one restored (with nothing of its old roles).
    fn __add_member(
        _: Key,
        conn: &mut Self::Connection,
        org: OrgId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<Id<Membership>>>;

    /// Deactivates an active membership and its active assignments;
    /// `false` when no active membership has this id in `org`.
    fn __deactivate(
        _: Key,
        conn: &mut Self::Connection,
        org: OrgId,
        membership: Id<Membership>,
        now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<bool>>;

    /// Whether the membership is active, locked on PostgreSQL against a
    /// concurrent deactivation until the transaction ends; `None` when
    /// `org` has no such membership.
    fn __lock_membership(
        _: Key,
        conn: &mut Self::Connection,
        org: OrgId,
        membership: Id<Membership>,
    ) -> BoxFuture<'_, Result<Option<bool>>>;

    /// The permission keys of the roles that restoring the membership would
    /// give back.
    fn __restorable_keys(
        _: Key,
        conn: &mut Self::Connection,
        org: OrgId,
        membership: Id<Membership>,
    ) -> BoxFuture<'_, Result<Vec<String>>>;

    /// Restores an inactive membership and the assignments its
    /// deactivation took; `false` when no inactive membership has this id.
    fn __restore(
        _: Key,
        conn: &mut Self::Connection,
        org: OrgId,
        membership: Id<Membership>,
        now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<bool>>;
}

type UserRow = (
    i64,
    String,
    String,
    bool,
    String,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
);

fn user(row: UserRow) -> User {
    let (id, email, name, is_developer, timezone, last_login_at, last_active_at, created_at) = row;
    User {
        id: Id::new(id),
        email,
        name,
        is_developer,
        timezone,
        last_login_at,
        last_active_at,
        created_at,
    }
}

type MemberRow = (i64, i64, String, String, bool, bool, Option<DateTime<Utc>>);

fn member(row: MemberRow) -> Member {
    let (membership, user, name, timezone, is_active, is_owner, last_active_at) = row;
    Member {
        membership_id: Id::new(membership),
        user_id: Id::new(user),
        name,
        timezone,
        is_active,
        is_owner,
        last_active_at,
    }
}

macro_rules! impl_people_store {
    ($feature:literal, $db:ty, $share:literal) => {
        #[cfg(feature = $feature)]
        impl PeopleStore for $db {
            fn __create_user<'a>(_: Key,
                conn: &'a mut Self::Connection,
                email: &'a str,
                name: &'a str,
                is_developer: bool,
                now: DateTime<Utc>,
            ) -> BoxFuture<'a, Result<Id<User>>> {
                Box::pin(async move {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO users (email, name, is_developer, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $4) RETURNING id",
                    )
                    .bind(email)
                    .bind(name)
                    .bind(is_developer)
                    .bind(now)
                    .fetch_one(conn)
                    .await?;
                    Ok(Id::new(id))
                })
            }

            fn __users(_: Key,
                conn: &mut Self::Connection,
                only: Option<Id<User>>,
            ) -> BoxFuture<'_, Result<Vec<User>>> {
                Box::pin(async move {
                    let rows: Vec<UserRow> = match only {
                        Some(id) => sqlx::query_as(
                            "SELECT id, email, name, is_developer, timezone, last_login_at, \
                             last_active_at, created_at FROM users WHERE id = $1",
                        )
                        .bind(id)
                        .fetch_all(conn)
                        .await?,
                        None => sqlx::query_as(
                            "SELECT id, email, name, is_developer, timezone, last_login_at, \
                             last_active_at, created_at FROM users ORDER BY id",
                        )
                        .fetch_all(conn)
                        .await?,
                    };
                    Ok(rows.into_iter().map(user).collect())
                })
            }

            fn __user_by_email<'a>(_: Key,
                conn: &'a mut Self::Connection,
                email: &'a str,
            ) -> BoxFuture<'a, Result<Option<Id<User>>>> {
                Box::pin(async move {
                    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
                        .bind(email)
                        .fetch_optional(conn)
                        .await?;
                    Ok(id.map(Id::new))
                })
            }

            fn __members(_: Key,
                conn: &mut Self::Connection,
                org: OrgId,
                only: Option<Id<User>>,
            ) -> BoxFuture<'_, Result<Vec<Member>>> {
                Box::pin(async move {
                    let rows: Vec<MemberRow> = sqlx::query_as(
                        "SELECT m.id, u.id, u.name, u.timezone, m.is_active, \
                         COALESCE(o.owner_id = u.id, FALSE), u.last_active_at \
                         FROM memberships m JOIN users u ON u.id = m.user_id \
                         JOIN organizations o ON o.id = m.organization_id \
                         WHERE m.organization_id = $1 AND ($2 IS NULL OR u.id = $2) \
                         ORDER BY m.id",
                    )
                    .bind(org)
                    .bind(only)
                    .fetch_all(conn)
                    .await?;
                    Ok(rows.into_iter().map(member).collect())
                })
            }

            fn __touch_user(_: Key,
                conn: &mut Self::Connection,
                user: UserId,
                login: bool,
                now: DateTime<Utc>,
            ) -> BoxFuture<'_, Result<()>> {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE users SET last_active_at = $2, \
                         last_login_at = CASE WHEN $3 THEN $2 ELSE last_login_at END WHERE id = $1",
                    )
                    .bind(user)
                    .bind(now)
                    .bind(login)
                    .execute(conn)
                    .await?;
                    Ok(())
                })
            }

            fn __add_member(_: Key,
                conn: &mut Self::Connection,
                org: OrgId,
                user: UserId,
                now: DateTime<Utc>,
            ) -> BoxFuture<'_, Result<Id<Membership>>> {
                Box::pin(async move {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO memberships (organization_id, user_id, is_active, created_at, updated_at) \
                         VALUES ($1, $2, TRUE, $3, $3) \
                         ON CONFLICT (organization_id, user_id) DO UPDATE SET is_active = TRUE, updated_at = $3 \
                         RETURNING id",
                    )
                    .bind(org)
                    .bind(user)
                    .bind(now)
                    .fetch_one(&mut *conn)
                    .await?;
                    // A member who comes back this way comes back without
                    // their old roles, for good: a later restore must not
                    // bring them back either.
                    sqlx::query(
                        "UPDATE user_role_assignments SET deactivated_with_membership = FALSE, updated_at = $3 \
                         WHERE organization_id = $1 AND membership_id = $2 AND deactivated_with_membership",
                    )
                    .bind(org)
                    .bind(id)
                    .bind(now)
                    .execute(conn)
                    .await?;
                    Ok(Id::new(id))
                })
            }

            fn __deactivate(_: Key,
                conn: &mut Self::Connection,
                org: OrgId,
                membership: Id<Membership>,
                now: DateTime<Utc>,
            ) -> BoxFuture<'_, Result<bool>> {
                Box::pin(async move {
                    let changed = sqlx::query(
                        "UPDATE memberships SET is_active = FALSE, updated_at = $3 \
                         WHERE organization_id = $1 AND id = $2 AND is_active",
                    )
                    .bind(org)
                    .bind(membership)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                    if changed.rows_affected() == 0 {
                        return Ok(false);
                    }
                    sqlx::query(
                        "UPDATE user_role_assignments SET is_active = FALSE, \
                         deactivated_with_membership = TRUE, updated_at = $3 \
                         WHERE organization_id = $1 AND membership_id = $2 AND is_active",
                    )
                    .bind(org)
                    .bind(membership)
                    .bind(now)
                    .execute(conn)
                    .await?;
                    Ok(true)
                })
            }

            fn __lock_membership(
                _: Key,
                conn: &mut Self::Connection,
                org: OrgId,
                membership: Id<Membership>,
            ) -> BoxFuture<'_, Result<Option<bool>>> {
                Box::pin(async move {
                    let active: Option<bool> = sqlx::query_scalar(concat!(
                        "SELECT is_active FROM memberships WHERE organization_id = $1 AND id = $2",
                        $share
                    ))
                    .bind(org)
                    .bind(membership)
                    .fetch_optional(conn)
                    .await?;
                    Ok(active)
                })
            }

            fn __restorable_keys(
                _: Key,
                conn: &mut Self::Connection,
                org: OrgId,
                membership: Id<Membership>,
            ) -> BoxFuture<'_, Result<Vec<String>>> {
                Box::pin(async move {
                    let keys: Vec<String> = sqlx::query_scalar(
                        "SELECT DISTINCT p.key FROM user_role_assignments a \
                         JOIN role_permissions rp ON rp.role_id = a.role_id \
                         JOIN permissions p ON p.id = rp.permission_id \
                         WHERE a.organization_id = $1 AND a.membership_id = $2 \
                         AND a.deactivated_with_membership ORDER BY p.key",
                    )
                    .bind(org)
                    .bind(membership)
                    .fetch_all(conn)
                    .await?;
                    Ok(keys)
                })
            }

            fn __restore(_: Key,
                conn: &mut Self::Connection,
                org: OrgId,
                membership: Id<Membership>,
                now: DateTime<Utc>,
            ) -> BoxFuture<'_, Result<bool>> {
                Box::pin(async move {
                    let changed = sqlx::query(
                        "UPDATE memberships SET is_active = TRUE, updated_at = $3 \
                         WHERE organization_id = $1 AND id = $2 AND NOT is_active",
                    )
                    .bind(org)
                    .bind(membership)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                    if changed.rows_affected() == 0 {
                        return Ok(false);
                    }
                    // A role given again meanwhile stays given once.
                    sqlx::query(
                        "UPDATE user_role_assignments SET is_active = NOT EXISTS ( \
                             SELECT 1 FROM user_role_assignments b WHERE b.organization_id = $1 \
                             AND b.membership_id = $2 AND b.role_id = user_role_assignments.role_id \
                             AND b.is_active), \
                         deactivated_with_membership = FALSE, updated_at = $3 \
                         WHERE organization_id = $1 AND membership_id = $2 AND deactivated_with_membership",
                    )
                    .bind(org)
                    .bind(membership)
                    .bind(now)
                    .execute(conn)
                    .await?;
                    Ok(true)
                })
            }

        }
    };
}

impl_people_store!("sqlite", sqlx::Sqlite, "");
// `FOR SHARE` conflicts with the deactivation's update of the row, where
// the foreign key's `FOR KEY SHARE` would not.
impl_people_store!("postgres", sqlx::Postgres, " FOR SHARE");
