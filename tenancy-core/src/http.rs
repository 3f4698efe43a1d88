//! HTTP: problem details (RFC 9457) for every failure, and the request's
//! [`Scope`] as an axum extractor (feature `axum`).
//!
//! A client gets a status, a stable `code` to branch on and a sentence to
//! show; an operator gets the cause in the log. The two never mix: nothing
//! from the driver reaches the response body.
//!
//! The `Scope` extractor reads the scope that `tenancy-axum`'s layer put in
//! the request after authenticating it. It lives here, beside `Scope`,
//! because a handler should name the very type its queries take:
//! `async fn list(scope: Scope, ..)`.

use std::borrow::Cow;

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

use crate::scope::Scope;

/// An error response: `application/problem+json` with a stable `code`.
///
/// Build one from an [`Error`](crate::Error) with `?` or `From`, or with
/// [`Problem::new`] for the app's own failures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    #[serde(skip)]
    status: StatusCode,
    #[serde(rename = "type")]
    kind: &'static str,
    title: Cow<'static, str>,
    #[serde(rename = "status")]
    status_code: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<Cow<'static, str>>,
    code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<Cow<'static, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact: Option<String>,
    /// Seconds after which trying again may succeed: the `Retry-After`
    /// header, not part of the body.
    #[serde(skip)]
    retry_after: Option<u32>,
}

impl Problem {
    /// A problem with a status, a stable machine-readable `code` and a
    /// title that describes the kind of failure.
    #[must_use]
    pub fn new(
        status: StatusCode,
        code: &'static str,
        title: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            status,
            kind: "about:blank",
            title: title.into(),
            status_code: status.as_u16(),
            detail: None,
            code,
            field: None,
            contact: None,
            retry_after: None,
        }
    }

    /// Tells the client to try again after `seconds` (`Retry-After`).
    #[must_use]
    pub fn with_retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Names whom the client should contact (a billing lapse: the owner).
    #[must_use]
    pub fn with_contact(mut self, contact: impl Into<String>) -> Self {
        self.contact = Some(contact.into());
        self
    }

    /// Adds a sentence about this occurrence, shown to the client.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<Cow<'static, str>>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Names the request field that was refused.
    #[must_use]
    pub fn with_field(mut self, field: impl Into<Cow<'static, str>>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable machine-readable code, e.g. `not_found`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl From<crate::Error> for Problem {
    fn from(error: crate::Error) -> Self {
        use crate::Error;
        match error {
            // The table is not named: a 404 says only that there is nothing
            // here for this organization.
            Error::NotFound { .. } => Self::new(StatusCode::NOT_FOUND, "not_found", "Not found")
                .with_detail("nothing with this id exists in your organization"),
            Error::Forbidden => Self::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden")
                .with_detail("you may not perform this operation"),
            Error::Conflict { constraint } => {
                tracing::info!(
                    ?constraint,
                    "refused a write that conflicts with stored data"
                );
                Self::new(StatusCode::CONFLICT, "conflict", "Conflict")
                    .with_detail("the change conflicts with existing data")
            }
            Error::ConditionFailed { .. } => Self::new(
                StatusCode::CONFLICT,
                "condition_failed",
                "Condition not met",
            )
            .with_detail("the record no longer meets the condition of this change"),
            Error::Busy(cause) => {
                tracing::warn!(cause = %cause, "the database was too busy for a request");
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "Service busy")
                    .with_detail("the service is busy with other changes; try again shortly")
                    .with_retry_after(1)
            }
            Error::Invalid { field, reason } => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "Invalid value")
                    .with_detail(format!("{field}: {reason}"))
                    .with_field(field)
            }
            other => {
                let cause = std::error::Error::source(&other).map(ToString::to_string);
                tracing::error!(error = %other, cause = cause.as_deref().unwrap_or(""), "a scoped operation failed");
                Self::internal()
            }
        }
    }
}

impl Problem {
    /// The response for failures the client cannot act on: a 500 that says
    /// nothing about the cause.
    #[must_use]
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
        )
        .with_detail("the request could not be completed; try again later")
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status;
        let mut response = match serde_json::to_vec(&self) {
            Ok(body) => (status, body).into_response(),
            // Serializing strings cannot fail; answer without a body if it does.
            Err(_) => return status.into_response(),
        };
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status_code, self.code)
    }
}

impl std::error::Error for Problem {}

/// Why a request has no [`Scope`], as the layer recorded it.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoScope {
    /// Nobody is signed in.
    Anonymous,
    /// The principal is signed in but acts in no organization.
    NoOrganization,
}

impl NoScope {
    /// The problem this reason answers with.
    #[must_use]
    pub fn into_problem(self) -> Problem {
        match self {
            Self::Anonymous => Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Unauthenticated",
            )
            .with_detail("sign in to use this endpoint"),
            Self::NoOrganization => {
                Problem::new(StatusCode::FORBIDDEN, "no_organization", "No organization")
                    .with_detail("you are not a member of any organization")
            }
        }
    }
}

/// The problem of an extractor that found no trace of the tenancy layer: a
/// mistake in the app's router, reported as a 500 whose log line says how
/// to fix it.
#[doc(hidden)]
#[must_use]
pub fn missing_layer(extractor: &str) -> Problem {
    tracing::error!(
        "{extractor} was extracted, but no tenancy layer ran on this request: \
         add `tenancy_axum::TenancyLayer` to the router (`.layer(TenancyLayer::new(..))`)"
    );
    Problem::internal()
}

/// The request's scope, as authenticated by `tenancy-axum`'s layer.
///
/// Rejects with 401 when nobody is signed in, 403 when the principal acts in
/// no organization, and 500 (with a log line naming the fix) when the layer
/// is missing.
impl<S: Send + Sync> FromRequestParts<S> for Scope {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Problem> {
        if let Some(scope) = parts.extensions.get::<Scope>() {
            return Ok(scope.clone());
        }
        match parts.extensions.get::<NoScope>() {
            Some(reason) => Err(reason.into_problem()),
            None => Err(missing_layer("tenancy_core::Scope")),
        }
    }
}

/// `Option<Scope>`: `None` when nobody is signed in or no organization
/// applies; still a 500 when the layer is missing.
impl<S: Send + Sync> OptionalFromRequestParts<S> for Scope {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Problem> {
        if let Some(scope) = parts.extensions.get::<Scope>() {
            return Ok(Some(scope.clone()));
        }
        match parts.extensions.get::<NoScope>() {
            Some(_) => Ok(None),
            None => Err(missing_layer("tenancy_core::Scope")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_database_is_a_503_with_retry_after_and_no_driver_text() {
        let busy = crate::Error::Busy(sqlx::Error::Protocol("database is locked".into()));
        let problem = Problem::from(busy);
        let body = serde_json::to_string(&problem).unwrap_or_default();
        assert!(!body.contains("locked"), "{body}");
        let response = problem.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.headers().get(header::RETRY_AFTER),
            Some(&HeaderValue::from_static("1"))
        );
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE),
            Some(&HeaderValue::from_static("application/problem+json"))
        );
    }

    #[test]
    fn a_failed_condition_is_a_409_that_names_no_table() {
        let problem = Problem::from(crate::Error::ConditionFailed { table: "lots" });
        assert_eq!(problem.status(), StatusCode::CONFLICT);
        assert_eq!(problem.code(), "condition_failed");
        let body = serde_json::to_string(&problem).unwrap_or_default();
        assert!(!body.contains("lots"), "{body}");
        assert!(!body.contains("retry"), "{body}");
    }
}
