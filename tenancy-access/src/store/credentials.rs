//! The statements of passwords and invitations, once per backend.

// Without a backend feature nothing instantiates the statements below.
#![cfg_attr(
    not(any(feature = "sqlite", feature = "postgres")),
    allow(dead_code, unused_imports, unused_macros)
)]

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;

use super::Key;
use tenancy_core::{Backend, Id, OrgId, Result, UserId};

use crate::models::{Invitation, Role, User};

/// A user's password as sign-in reads it.
#[doc(hidden)]
#[derive(Clone, Debug)]
pub struct StoredPassword {
    /// The user.
    pub user: UserId,
    /// The PHC string of the hash; `None` for a user without a password.
    pub hash: Option<String>,
}

/// The failed attempts of one source on one account.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Attempts {
    /// How many failed since the last success.
    pub failed: i32,
    /// When the last one failed.
    pub last_failure_at: Option<DateTime<Utc>>,
}

/// An invitation as acceptance reads it.
#[doc(hidden)]
#[derive(Clone, Debug)]
pub struct PendingInvitation {
    /// The invitation.
    pub id: Id<Invitation>,
    /// The organization invited to.
    pub org: OrgId,
    /// Whom it invites.
    pub email: String,
    /// The role the new member gets.
    pub role: Option<Id<Role>>,
    /// When it stops being valid.
    pub expires_at: DateTime<Utc>,
    /// Whether it was accepted or revoked already.
    pub used: bool,
}

/// The statements of passwords and invitations.
#[doc(hidden)]
pub trait CredentialStore: Backend {
    /// The password of the user with this (normalized) email.
    fn __password_by_email<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        email: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoredPassword>>>;

    /// The password of `user`.
    fn __password_of(
        _: Key,
        conn: &mut Self::Connection,
        user: UserId,
    ) -> BoxFuture<'_, Result<Option<StoredPassword>>>;

    /// Sets the hash of `user`'s password.
    fn __set_password<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        user: UserId,
        hash: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<()>>;

    /// The failed attempts of `source` on `user` (user 0: on emails no
    /// account has).
    fn __attempts<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        user: UserId,
        source: &'a str,
    ) -> BoxFuture<'a, Result<Attempts>>;

    /// Counts an attempt of `source` on `user` as failed until it
    /// succeeds; the count with it.
    fn __count_attempt<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        user: UserId,
        source: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<i32>>;

    /// Counts the next attempt of `source` on `user`, if the count is
    /// still `expected`: `false` when a concurrent attempt took the turn
    /// first.
    fn __claim_attempt<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        user: UserId,
        source: &'a str,
        expected: i32,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<bool>>;

    /// Replaces the hash `old` of `user`'s password by `new` (a rehash with
    /// the current costs); `false` when the password changed meanwhile.
    fn __replace_hash<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        user: UserId,
        old: &'a str,
        new: &'a str,
    ) -> BoxFuture<'a, Result<bool>>;

    /// Forgets every failed attempt on `user` (a new password).
    fn __clear_all_attempts(
        _: Key,
        conn: &mut Self::Connection,
        user: UserId,
    ) -> BoxFuture<'_, Result<()>>;

    /// Forgets the failed attempts of `source` on `user` after a success.
    fn __clear_attempts<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        user: UserId,
        source: &'a str,
    ) -> BoxFuture<'a, Result<()>>;

    /// Stores a new invitation.
    #[allow(clippy::too_many_arguments)]
    fn __create_invitation<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        org: OrgId,
        email: &'a str,
        role: Option<Id<Role>>,
        token_hash: [u8; 32],
        by: Option<Id<User>>,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Id<Invitation>>>;

    /// The invitation of this token hash, locked on PostgreSQL until the
    /// transaction ends.
    fn __invitation_by_token(
        _: Key,
        conn: &mut Self::Connection,
        token_hash: [u8; 32],
    ) -> BoxFuture<'_, Result<Option<PendingInvitation>>>;

    /// Marks an invitation accepted by `user`; `false` when it was accepted
    /// or revoked meanwhile.
    fn __accept_invitation(
        _: Key,
        conn: &mut Self::Connection,
        id: Id<Invitation>,
        user: UserId,
        now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<bool>>;

    /// Revokes a pending invitation of `org`; `false` when none has this id.
    fn __revoke_invitation(
        _: Key,
        conn: &mut Self::Connection,
        org: OrgId,
        id: Id<Invitation>,
        now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<bool>>;
}

type PasswordRow = (i64, Option<String>);

fn stored(row: PasswordRow) -> StoredPassword {
    let (user, hash) = row;
    StoredPassword {
        user: UserId::new(user),
        hash,
    }
}

type InvitationRow = (
    i64,
    i64,
    String,
    Option<i64>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

macro_rules! impl_credential_store {
    ($feature:literal, $db:ty, $lock:literal) => {
        #[cfg(feature = $feature)]
        impl CredentialStore for $db {
            fn __password_by_email<'a>(_: Key,
                conn: &'a mut Self::Connection,
                email: &'a str,
            ) -> BoxFuture<'a, Result<Option<StoredPassword>>> {
                Box::pin(async move {
                    let row: Option<PasswordRow> = sqlx::query_as(
                        "SELECT u.id, c.hash FROM users u \
                         LEFT JOIN password_credentials c ON c.user_id = u.id WHERE u.email = $1",
                    )
                    .bind(email)
                    .fetch_optional(conn)
                    .await?;
                    Ok(row.map(stored))
                })
            }

            fn __password_of(_: Key,
                conn: &mut Self::Connection,
                user: UserId,
            ) -> BoxFuture<'_, Result<Option<StoredPassword>>> {
                Box::pin(async move {
                    let row: Option<PasswordRow> = sqlx::query_as(
                        "SELECT u.id, c.hash FROM users u \
                         LEFT JOIN password_credentials c ON c.user_id = u.id WHERE u.id = $1",
                    )
                    .bind(user)
                    .fetch_optional(conn)
                    .await?;
                    Ok(row.map(stored))
                })
            }

            fn __set_password<'a>(_: Key,
                conn: &'a mut Self::Connection,
                user: UserId,
                hash: &'a str,
                now: DateTime<Utc>,
            ) -> BoxFuture<'a, Result<()>> {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO password_credentials (user_id, hash, changed_at) \
                         VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE SET \
                         hash = excluded.hash, changed_at = excluded.changed_at",
                    )
                    .bind(user)
                    .bind(hash)
                    .bind(now)
                    .execute(conn)
                    .await?;
                    Ok(())
                })
            }

            fn __attempts<'a>(
                _: Key,
                conn: &'a mut Self::Connection,
                user: UserId,
                source: &'a str,
            ) -> BoxFuture<'a, Result<Attempts>> {
                Box::pin(async move {
                    let row: Option<(i32, DateTime<Utc>)> = sqlx::query_as(
                        "SELECT failed_attempts, last_failure_at FROM sign_in_attempts \
                         WHERE user_id = $1 AND source = $2",
                    )
                    .bind(user)
                    .bind(source)
                    .fetch_optional(conn)
                    .await?;
                    Ok(row.map_or_else(Attempts::default, |(failed, at)| Attempts {
                        failed,
                        last_failure_at: Some(at),
                    }))
                })
            }

            fn __claim_attempt<'a>(
                _: Key,
                conn: &'a mut Self::Connection,
                user: UserId,
                source: &'a str,
                expected: i32,
                now: DateTime<Utc>,
            ) -> BoxFuture<'a, Result<bool>> {
                Box::pin(async move {
                    let claimed = sqlx::query(
                        "UPDATE sign_in_attempts SET failed_attempts = failed_attempts + 1, \
                         last_failure_at = $4 WHERE user_id = $1 AND source = $2 AND failed_attempts = $3",
                    )
                    .bind(user)
                    .bind(source)
                    .bind(expected)
                    .bind(now)
                    .execute(conn)
                    .await?;
                    Ok(claimed.rows_affected() == 1)
                })
            }

            fn __count_attempt<'a>(
                _: Key,
                conn: &'a mut Self::Connection,
                user: UserId,
                source: &'a str,
                now: DateTime<Utc>,
            ) -> BoxFuture<'a, Result<i32>> {
                Box::pin(async move {
                    let count: i32 = sqlx::query_scalar(
                        "INSERT INTO sign_in_attempts (user_id, source, failed_attempts, last_failure_at) \
                         VALUES ($1, $2, 1, $3) ON CONFLICT (user_id, source) DO UPDATE SET \
                         failed_attempts = sign_in_attempts.failed_attempts + 1, last_failure_at = $3 \
                         RETURNING failed_attempts",
                    )
                    .bind(user)
                    .bind(source)
                    .bind(now)
                    .fetch_one(conn)
                    .await?;
                    Ok(count)
                })
            }

            fn __replace_hash<'a>(
                _: Key,
                conn: &'a mut Self::Connection,
                user: UserId,
                old: &'a str,
                new: &'a str,
            ) -> BoxFuture<'a, Result<bool>> {
                Box::pin(async move {
                    let replaced = sqlx::query(
                        "UPDATE password_credentials SET hash = $3 WHERE user_id = $1 AND hash = $2",
                    )
                    .bind(user)
                    .bind(old)
                    .bind(new)
                    .execute(conn)
                    .await?;
                    Ok(replaced.rows_affected() == 1)
                })
            }

            fn __clear_all_attempts(
                _: Key,
                conn: &mut Self::Connection,
                user: UserId,
            ) -> BoxFuture<'_, Result<()>> {
                Box::pin(async move {
                    sqlx::query("DELETE FROM sign_in_attempts WHERE user_id = $1")
                        .bind(user)
                        .execute(conn)
                        .await?;
                    Ok(())
                })
            }

            fn __clear_attempts<'a>(
                _: Key,
                conn: &'a mut Self::Connection,
                user: UserId,
                source: &'a str,
            ) -> BoxFuture<'a, Result<()>> {
                Box::pin(async move {
                    sqlx::query("DELETE FROM sign_in_attempts WHERE user_id = $1 AND source = $2")
                        .bind(user)
                        .bind(source)
                        .execute(conn)
                        .await?;
                    Ok(())
                })
            }

            fn __create_invitation<'a>(_: Key,
                conn: &'a mut Self::Connection,
                org: OrgId,
                email: &'a str,
                role: Option<Id<Role>>,
                token_hash: [u8; 32],
                by: Option<Id<User>>,
                now: DateTime<Utc>,
                expires_at: DateTime<Utc>,
            ) -> BoxFuture<'a, Result<Id<Invitation>>> {
                Box::pin(async move {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO invitations (organization_id, email, role_id, token_hash, \
                         invited_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         RETURNING id",
                    )
                    .bind(org)
                    .bind(email)
                    .bind(role)
                    .bind(token_hash.to_vec())
                    .bind(by)
                    .bind(now)
                    .bind(expires_at)
                    .fetch_one(conn)
                    .await?;
                    Ok(Id::new(id))
                })
            }

            fn __invitation_by_token(_: Key,
                conn: &mut Self::Connection,
                token_hash: [u8; 32],
            ) -> BoxFuture<'_, Result<Option<PendingInvitation>>> {
                Box::pin(async move {
                    let row: Option<InvitationRow> = sqlx::query_as(concat!(
                        "SELECT id, organization_id, email, role_id, expires_at, accepted_at, revoked_at \
                         FROM invitations WHERE token_hash = $1",
                        $lock
                    ))
                    .bind(token_hash.to_vec())
                    .fetch_optional(conn)
                    .await?;
                    Ok(row.map(|(id, org, email, role, expires_at, accepted, revoked)| PendingInvitation {
                        id: Id::new(id),
                        org: OrgId::new(org),
                        email,
                        role: role.map(Id::new),
                        expires_at,
                        used: accepted.is_some() || revoked.is_some(),
                    }))
                })
            }

            fn __accept_invitation(_: Key,
                conn: &mut Self::Connection,
                id: Id<Invitation>,
                user: UserId,
                now: DateTime<Utc>,
            ) -> BoxFuture<'_, Result<bool>> {
                Box::pin(async move {
                    let changed = sqlx::query(
                        "UPDATE invitations SET accepted_at = $3, accepted_by = $2 \
                         WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL",
                    )
                    .bind(id)
                    .bind(user)
                    .bind(now)
                    .execute(conn)
                    .await?;
                    Ok(changed.rows_affected() == 1)
                })
            }

            fn __revoke_invitation(_: Key,
                conn: &mut Self::Connection,
                org: OrgId,
                id: Id<Invitation>,
                now: DateTime<Utc>,
            ) -> BoxFuture<'_, Result<bool>> {
                Box::pin(async move {
                    let changed = sqlx::query(
                        "UPDATE invitations SET revoked_at = $3 WHERE organization_id = $1 AND id = $2 \
                         AND accepted_at IS NULL AND revoked_at IS NULL",
                    )
                    .bind(org)
                    .bind(id)
                    .bind(now)
                    .execute(conn)
                    .await?;
                    Ok(changed.rows_affected() == 1)
                })
            }
        }
    };
}

impl_credential_store!("sqlite", sqlx::Sqlite, "");
impl_credential_store!("postgres", sqlx::Postgres, " FOR UPDATE");
