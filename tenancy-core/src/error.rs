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
}

impl From<sqlx::Error> for Error {
    /// Sorts driver errors into what a caller can act on: constraint
    /// violations become [`Error::Conflict`] or [`Error::Invalid`], the rest
    /// stays an opaque [`Error::Database`].
    fn from(error: sqlx::Error) -> Self {
        let sqlx::Error::Database(db) = &error else {
            return Self::Database(error);
        };
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
    fn closed_pool_is_a_database_error() {
        assert!(matches!(
            Error::from(sqlx::Error::PoolClosed),
            Error::Database(sqlx::Error::PoolClosed)
        ));
    }
}
