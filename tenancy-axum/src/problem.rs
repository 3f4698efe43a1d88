//! Problem details (RFC 9457) for every failure a handler reports.
//!
//! A client gets a status, a stable `code` to branch on and a sentence to
//! show; an operator gets the cause in the log. The two never mix: nothing
//! from the driver reaches the response body.

use std::borrow::Cow;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error response: `application/problem+json` with a stable `code`.
///
/// Build one from a [`tenancy_core::Error`] with `?` or `From`, or with
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
        }
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

impl From<tenancy_core::Error> for Problem {
    fn from(error: tenancy_core::Error) -> Self {
        use tenancy_core::Error;
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
        response
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status_code, self.code)
    }
}

impl std::error::Error for Problem {}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    async fn respond(error: tenancy_core::Error) -> (StatusCode, String, serde_json::Value) {
        let error = std::sync::Arc::new(std::sync::Mutex::new(Some(error)));
        let handler = move || {
            let error = error.lock().ok().and_then(|mut e| e.take());
            async move {
                match error {
                    Some(error) => Err::<(), Problem>(error.into()),
                    None => Ok(()),
                }
            }
        };
        let app = Router::new().route("/", get(handler));
        let response = app
            .oneshot(Request::get("/").body(Body::empty()).expect("request"))
            .await
            .expect("infallible");
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let json = serde_json::from_slice(&body).expect("a JSON body");
        (status, content_type, json)
    }

    #[tokio::test]
    async fn not_found_is_a_404_that_names_nothing() {
        let (status, content_type, body) =
            respond(tenancy_core::Error::NotFound { table: "recipes" }).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(body["code"], "not_found");
        assert_eq!(body["status"], 404);
        assert_eq!(body["type"], "about:blank");
        assert!(!body.to_string().contains("recipes"));
    }

    #[tokio::test]
    async fn conflict_hides_the_constraint() {
        let error = tenancy_core::Error::Conflict {
            constraint: Some("recipes_organization_id_name_key".into()),
        };
        let (status, _, body) = respond(error).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["code"], "conflict");
        assert!(!body.to_string().contains("recipes_"));
    }

    #[tokio::test]
    async fn invalid_names_the_field() {
        let (status, _, body) =
            respond(tenancy_core::Error::invalid("name", "must not be empty")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["code"], "invalid");
        assert_eq!(body["field"], "name");
        assert_eq!(body["detail"], "name: must not be empty");
    }

    #[tokio::test]
    async fn forbidden_is_a_403() {
        let (status, _, body) = respond(tenancy_core::Error::Forbidden).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body["code"], "forbidden");
    }

    #[tokio::test]
    async fn database_errors_are_an_opaque_500() {
        let driver = sqlx_protocol_error("relation \"secret_table\" does not exist");
        let (status, _, body) = respond(driver).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["code"], "internal");
        assert!(!body.to_string().contains("secret_table"));
    }

    fn sqlx_protocol_error(message: &str) -> tenancy_core::Error {
        tenancy_core::Error::Database(sqlx::Error::Protocol(message.into()))
    }
}
