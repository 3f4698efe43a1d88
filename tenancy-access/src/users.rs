//! Users: created by a system scope (or by accepting an invitation), read
//! across organizations only, and their sessions ended all at once.

use crate::store::KEY;
use chrono::Utc;
use serde_json::json;
use sqlx::Acquire;
use tenancy_core::{ActsAcrossOrgs, Error, Id, Result, UserId};

use crate::event_log::{EventKind, NewEvent};
use crate::models::{NewUser, User};
use crate::rules::record;
use crate::store::AccessStore;

/// The longest email, in bytes (RFC 5321's path limit).
const MAX_EMAIL: usize = 254;

/// An email as stored and looked up: trimmed, in lower case, with one `@`
/// between two non-empty parts, no spaces or control characters, at most
/// 254 bytes.
///
/// # Errors
///
/// [`Error::Invalid`] naming `email` otherwise.
pub(crate) fn normalized_email(email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    let well_formed = email.len() <= MAX_EMAIL
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        });
    if well_formed {
        Ok(email)
    } else {
        Err(Error::invalid("email", "is not an email address"))
    }
}

/// A new user, who belongs to no organization yet.
///
/// # Errors
///
/// [`Error::Invalid`] naming `email` or `name` for a malformed one;
/// [`Error::Conflict`] when a user has this email (compared in lower
/// case).
pub async fn create_user<'c, A, DB>(
    conn: A,
    system: &impl ActsAcrossOrgs,
    new: NewUser,
) -> Result<User>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let _ = system.acting_reason();
    let email = normalized_email(&new.email)?;
    let name = crate::rules::checked_name("name", &new.name)?;
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    let user = insert_user::<DB>(&mut tx, &email, &name, new.is_developer).await?;
    tx.commit().await?;
    Ok(user)
}

/// Inserts a user already checked, with its audit row, in the caller's
/// transaction.
pub(crate) async fn insert_user<DB: AccessStore>(
    conn: &mut DB::Connection,
    email: &str,
    name: &str,
    is_developer: bool,
) -> Result<User> {
    let id = DB::__create_user(KEY, conn, email, name, is_developer, Utc::now()).await?;
    let principal = UserId::new(id.get());
    let detail = json!({ "developer": is_developer });
    record::<DB>(
        conn,
        NewEvent::new(None, EventKind::UserCreated, Some(principal), None, detail),
    )
    .await?;
    read_user::<DB>(conn, id).await
}

pub(crate) async fn read_user<DB: AccessStore>(
    conn: &mut DB::Connection,
    id: Id<User>,
) -> Result<User> {
    DB::__users(KEY, conn, Some(id))
        .await?
        .pop()
        .ok_or(Error::NotFound { table: "users" })
}

/// Every user, with their emails, in the order they were created: work
/// across organizations only. An organization reads its own people with
/// [`members`](crate::members).
///
/// # Errors
///
/// [`Error::Database`] when the statement fails.
pub async fn users<'c, A, DB>(conn: A, system: &impl ActsAcrossOrgs) -> Result<Vec<User>>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let _ = system.acting_reason();
    let mut conn = crate::store::acquire(conn).await?;
    DB::__users(KEY, &mut conn, None).await
}

/// One user, with their email: work across organizations only.
///
/// # Errors
///
/// [`Error::NotFound`] when no user has this id.
pub async fn user<'c, A, DB>(conn: A, system: &impl ActsAcrossOrgs, id: Id<User>) -> Result<User>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let _ = system.acting_reason();
    let mut conn = crate::store::acquire(conn).await?;
    read_user::<DB>(&mut conn, id).await
}

/// The user with this email, for the app's own sign-in flows: work across
/// organizations only.
///
/// # Errors
///
/// [`Error::NotFound`] when no user has this email (compared in lower
/// case); [`Error::Invalid`] for a malformed one.
pub async fn user_by_email<'c, A, DB>(
    conn: A,
    system: &impl ActsAcrossOrgs,
    email: &str,
) -> Result<User>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let _ = system.acting_reason();
    let email = normalized_email(email)?;
    let mut conn = crate::store::acquire(conn).await?;
    let id = DB::__user_by_email(KEY, &mut conn, &email)
        .await?
        .ok_or(Error::NotFound { table: "users" })?;
    read_user::<DB>(&mut conn, id).await
}

/// Ends every live session of `user` (a lost device, a suspected theft):
/// the next request with any of their tokens is refused. Returns how many
/// ended; the change is audited.
///
/// # Errors
///
/// [`Error::Database`] when a statement fails.
pub async fn revoke_sessions<'c, A, DB>(
    conn: A,
    system: &impl ActsAcrossOrgs,
    user: UserId,
) -> Result<u64>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let reason = system.acting_reason().to_owned();
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    let ended = DB::__close_user_sessions(KEY, &mut tx, user, None, None, Utc::now()).await?;
    let detail = json!({ "sessions": ended, "reason": reason });
    record::<DB>(
        &mut tx,
        NewEvent::new(None, EventKind::SessionsRevoked, Some(user), None, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::normalized_email;

    #[test]
    fn emails_are_trimmed_lower_case_and_well_formed() {
        assert_eq!(
            normalized_email("  Owner@Acme.Example ").unwrap(),
            "owner@acme.example"
        );
        for bad in [
            "",
            "owner",
            "@acme",
            "owner@",
            "a b@c.d",
            "a@b@c",
            "a\u{0}@b.c",
        ] {
            assert!(normalized_email(bad).is_err(), "{bad:?}");
        }
        assert!(normalized_email(&format!("{}@b.c", "a".repeat(260))).is_err());
    }
}
