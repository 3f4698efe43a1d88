//! The error type of every scoped operation.
//!
//! Errors here travel two ways: to the program, which matches on the variant
//! to decide what to do, and often on to an HTTP client, which must learn what
//! went wrong without learning anything about the database. So `Display` only
//! says what a client may know; the driver's own error (with SQL text,
//! constraint names and server messages meant for operators) stays reachable
//! through [`std::error::Error::source`] and the accessors, for logs.

use std::borrow::Cow;

/// A specialized `Result` for scoped operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong in a scoped operation.
///
/// # Cross-tenant reads look like absence
///
/// A row that belongs to another organization yields exactly the same
/// [`Error::NotFound`] as a row that does not exist, so that no error ever
/// confirms another tenant's data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No row of `table` with this id exists in the scope's organization.
    ///
    /// Rows of other organizations are reported the same way.
    #[error("not found in `{table}`")]
    NotFound {
        /// The table that was searched.
        table: &'static str,
    },

    /// The actor may not perform this operation.
    #[error("not allowed")]
    Forbidden,

    /// The change conflicts with data already stored, such as a duplicate
    /// unique key or a row still referenced by another, or with a change
    /// committed while it ran (then trying again may succeed).
    ///
    /// A failed guard of an update is [`Error::ConditionFailed`] instead,
    /// and a database too busy to run the statement [`Error::Busy`].
    #[error("conflicts with existing data")]
    Conflict {
        /// The name of the violated constraint, when the database reports it.
        ///
        /// Meant for logs and for mapping to a field; not shown by `Display`.
        constraint: Option<String>,
    },

    /// A value was refused: it is malformed, out of range or violates a rule.
    #[error("invalid `{field}`: {reason}")]
    Invalid {
        /// The field, column or parameter that was refused.
        field: Cow<'static, str>,
        /// Why it was refused, in words fit for the caller.
        reason: Cow<'static, str>,
    },

    /// The row exists in the scope's organization, but the update's guard
    /// ([`Update::only_if`](crate::Update::only_if)) does not hold for it:
    /// not enough stock left, a version that changed meanwhile. Nothing
    /// was written.
    ///
    /// Another organization's row never answers this: it is
    /// [`Error::NotFound`], as for a missing id.
    #[error("the row of `{table}` does not meet the condition of the change")]
    ConditionFailed {
        /// The table of the row.
        table: &'static str,
    },

    /// The database could not run the statement now because of concurrent
    /// work: SQLite's lock was held past the busy timeout (`SQLITE_BUSY`,
    /// `SQLITE_LOCKED`), PostgreSQL aborted the transaction as a
    /// serialization failure (`40001`) or a deadlock (`40P01`), or no
    /// connection of the pool came free within its acquire timeout. The
    /// transaction was rolled back, nothing of it was written, and running
    /// it again may succeed: [`Scope::write`](crate::Scope::write) does so
    /// by itself (but for a pool timeout, which has waited long enough);
    /// one that still fails is answered `503` with `Retry-After` over HTTP.
    ///
    /// `Display` prints only that the database is busy; the driver's error
    /// is the [`source`](std::error::Error::source).
    #[error("the database is busy; try again")]
    Busy(#[source] sqlx::Error),

    /// The database failed: it is unreachable, the pool is closed, or a
    /// statement failed for a reason the caller cannot fix.
    ///
    /// `Display` prints only "database error"; the driver's error is the
    /// [`source`](std::error::Error::source), for operators.
    #[error("database error")]
    Database(#[source] sqlx::Error),
}

impl Error {
    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(
        field: impl Into<Cow<'static, str>>,
        reason: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Whether this error means "no such row in this organization".
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    /// Whether running the same work again, in a new transaction, may
    /// succeed: [`Error::Busy`].
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Busy(_))
    }
}

/// Whether the driver's error says that concurrent work got in the way of
/// a statement: SQLite's `SQLITE_BUSY` and `SQLITE_LOCKED` (with their
/// extended codes, whose low byte is the primary one), PostgreSQL's
/// `40001` and `40P01`.
fn is_contention(db: &dyn sqlx::error::DatabaseError) -> bool {
    let Some(code) = db.code() else {
        return false;
    };
    match code.as_ref() {
        "40001" | "40P01" => true,
        // SQLite's codes are decimal numbers of at most four digits;
        // PostgreSQL's are five characters.
        sqlite if sqlite.len() < 5 => sqlite
            .parse::<u32>()
            .is_ok_and(|code| matches!(code & 0xff, 5 | 6)),
        _ => false,
    }
}

impl From<sqlx::Error> for Error {
    /// Sorts driver errors into what a caller can act on: constraint
    /// violations become [`Error::Conflict`] or [`Error::Invalid`], the rest
    /// stays an opaque [`Error::Database`].
    fn from(error: sqlx::Error) -> Self {
        let db = match &error {
            sqlx::Error::Database(db) => db,
            // Every connection stayed busy for the pool's acquire timeout:
            // the service is overloaded, not broken.
            sqlx::Error::PoolTimedOut => return Self::Busy(error),
            _ => return Self::Database(error),
        };
        if is_contention(db.as_ref()) {
            return Self::Busy(error);
        }
        match db.kind() {
            sqlx::error::ErrorKind::UniqueViolation
            | sqlx::error::ErrorKind::ForeignKeyViolation
            | sqlx::error::ErrorKind::ExclusionViolation => Self::Conflict {
                constraint: db.constraint().map(str::to_owned),
            },
            // Constraint and column names are the schema's, not the
            // caller's: validate fields before writing to name them.
            sqlx::error::ErrorKind::NotNullViolation => {
                Self::invalid("value", "a required value is missing")
            }
            sqlx::error::ErrorKind::CheckViolation => {
                Self::invalid("value", "a value breaks a rule of the table")
            }
            // PostgreSQL's class 22, "data exception": a value out of range,
            // too long or malformed for its column. (SQLite's codes are
            // numbers of at most four digits.)
            _ if db
                .code()
                .is_some_and(|code| code.len() == 5 && code.starts_with("22")) =>
            {
                Self::invalid(
                    "value",
                    "a value is out of range or malformed for its column",
                )
            }
            // PostgreSQL's `insufficient_privilege`: a missing grant, or
            // row-level security refusing a row. Through the library, the
            // second means the transaction names another organization than
            // the scope, or none: a bug of the caller, not of the client.
            _ if db.code().as_deref() == Some("42501") => {
                tracing::error!(
                    "tenancy: PostgreSQL refused a statement for lack of privilege: a missing \
                     grant, or a transaction that names another organization than the scope (or \
                     none): begin transactions with `Scope::begin`"
                );
                Self::Database(error)
            }
            _ => Self::Database(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_display_hides_the_driver_message() {
        let error = Error::from(sqlx::Error::Protocol(
            "relation \"secret_table\" does not exist".into(),
        ));
        assert_eq!(error.to_string(), "database error");
        let source = std::error::Error::source(&error).map(ToString::to_string);
        assert!(source.is_some_and(|s| s.contains("secret_table")));
    }

    #[test]
    fn not_found_names_only_the_table() {
        let error = Error::NotFound { table: "recipes" };
        assert_eq!(error.to_string(), "not found in `recipes`");
        assert!(error.is_not_found());
    }

    #[test]
    fn conflict_display_hides_the_constraint_name() {
        let error = Error::Conflict {
            constraint: Some("recipes_name_key".into()),
        };
        assert_eq!(error.to_string(), "conflicts with existing data");
    }

    #[test]
    fn invalid_names_the_field() {
        let error = Error::invalid("name", "must not be empty");
        assert_eq!(error.to_string(), "invalid `name`: must not be empty");
    }

    #[test]
    fn busy_display_hides_the_driver_message() {
        let error = Error::Busy(sqlx::Error::Protocol("database is locked".into()));
        assert_eq!(error.to_string(), "the database is busy; try again");
        assert!(error.is_retryable());
        assert!(!Error::Conflict { constraint: None }.is_retryable());
    }

    #[test]
    fn condition_failed_names_only_the_table() {
        let error = Error::ConditionFailed { table: "lots" };
        assert_eq!(
            error.to_string(),
            "the row of `lots` does not meet the condition of the change"
        );
        assert!(!error.is_not_found());
    }

    #[test]
    fn an_exhausted_pool_is_busy() {
        let error = Error::from(sqlx::Error::PoolTimedOut);
        assert!(error.is_retryable(), "{error:?}");
        assert_eq!(error.to_string(), "the database is busy; try again");
    }

    #[test]
    fn closed_pool_is_a_database_error() {
        assert!(matches!(
            Error::from(sqlx::Error::PoolClosed),
            Error::Database(sqlx::Error::PoolClosed)
        ));
    }
}
