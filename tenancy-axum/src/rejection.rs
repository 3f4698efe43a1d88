//! Why the tenancy layer or an extractor refused a request: one type per
//! failure, each with its status, a stable code and a sentence, rendered as
//! `application/problem+json`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tenancy_access::{Refusal, SignInError};
use tenancy_core::http::{NoScope, Problem, missing_layer};

/// Declares a rejection: a unit struct with its status, code and text.
macro_rules! define_rejection {
    ($(#[$meta:meta])* $name:ident, $status:expr, $code:literal, $title:literal, $text:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct $name;

        impl $name {
            /// The HTTP status.
            #[must_use]
            pub fn status(&self) -> StatusCode {
                $status
            }

            /// The stable machine-readable code.
            #[must_use]
            pub fn code(&self) -> &'static str {
                $code
            }

            /// The sentence shown to the client.
            #[must_use]
            pub fn body_text(&self) -> &'static str {
                $text
            }
        }

        impl From<$name> for Problem {
            fn from(rejection: $name) -> Self {
                Problem::new(rejection.status(), rejection.code(), $title)
                    .with_detail(rejection.body_text())
            }
        }

        impl IntoResponse for $name {
            fn into_response(self) -> Response {
                Problem::from(self).into_response()
            }
        }
    };
}

define_rejection!(
    /// The credentials are malformed, unknown, expired or revoked.
    InvalidCredentials,
    StatusCode::UNAUTHORIZED,
    "invalid_credentials",
    "Invalid credentials",
    "the credentials are not valid (unknown, expired or revoked): sign in again"
);

define_rejection!(
    /// A password sign-in failed: the email or the password is wrong, or
    /// the account waits out its delay after repeated failures (one answer
    /// for all three, so that it tells nobody which emails have accounts).
    InvalidLogin,
    StatusCode::UNAUTHORIZED,
    "invalid_login",
    "Invalid login",
    "the email or password is wrong (after several failed attempts, wait a few minutes before trying again)"
);

define_rejection!(
    /// The principal named an organization it is not an active member of.
    NotAMember,
    StatusCode::FORBIDDEN,
    "not_a_member",
    "Not a member",
    "you are not a member of this organization"
);

define_rejection!(
    /// The organization was deactivated: nobody but the app's developers
    /// acts for it.
    OrganizationInactive,
    StatusCode::FORBIDDEN,
    "organization_inactive",
    "Organization inactive",
    "this organization is deactivated: contact the app's support"
);

define_rejection!(
    /// The organization header is not an organization id.
    InvalidOrganization,
    StatusCode::BAD_REQUEST,
    "invalid_organization",
    "Invalid organization",
    "the organization header must be an organization id"
);

/// The principal lacks the permission a handler requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MissingPermission {
    /// The permission's key.
    pub key: &'static str,
}

impl MissingPermission {
    /// The HTTP status: 403.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        StatusCode::FORBIDDEN
    }

    /// The stable machine-readable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        "missing_permission"
    }

    /// The sentence shown to the client.
    #[must_use]
    pub fn body_text(&self) -> String {
        format!("you need the `{}` permission", self.key)
    }
}

impl From<MissingPermission> for Problem {
    fn from(rejection: MissingPermission) -> Self {
        Problem::new(rejection.status(), rejection.code(), "Missing permission")
            .with_detail(rejection.body_text())
    }
}

impl IntoResponse for MissingPermission {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}

/// The organization's billing lapsed: only its owner may act, to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BillingLapsed {
    /// Whom to contact: the owner's email, when known.
    pub contact: Option<String>,
}

impl BillingLapsed {
    /// The HTTP status: 402.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        StatusCode::PAYMENT_REQUIRED
    }

    /// The stable machine-readable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        "billing_lapsed"
    }

    /// The sentence shown to the client.
    #[must_use]
    pub fn body_text(&self) -> String {
        match &self.contact {
            Some(owner) => format!(
                "this organization's billing has lapsed: contact its owner ({owner}) to restore access"
            ),
            None => "this organization's billing has lapsed: contact its owner to restore access"
                .to_owned(),
        }
    }
}

impl From<BillingLapsed> for Problem {
    fn from(rejection: BillingLapsed) -> Self {
        let problem = Problem::new(rejection.status(), rejection.code(), "Billing lapsed")
            .with_detail(rejection.body_text());
        match rejection.contact {
            Some(contact) => problem.with_contact(contact),
            None => problem,
        }
    }
}

impl IntoResponse for BillingLapsed {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}

/// Why a principal may not act for an organization (the answer of
/// [`tenancy_access::admit`]), as the layer and sign-in routes answer it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdmissionRejection {
    /// 403 `no_organization`: the principal belongs to no organization.
    NoOrganization,
    /// 403 `not_a_member`.
    NotAMember(NotAMember),
    /// 403 `organization_inactive`.
    OrganizationInactive(OrganizationInactive),
    /// 402 `billing_lapsed`, naming the owner to contact.
    BillingLapsed(BillingLapsed),
}

impl From<Refusal> for AdmissionRejection {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::NoOrganization => Self::NoOrganization,
            Refusal::OrganizationInactive => Self::OrganizationInactive(OrganizationInactive),
            Refusal::BillingLapsed { contact } => Self::BillingLapsed(BillingLapsed { contact }),
            // `Refusal` grows: what it adds is refused, never let through.
            _ => Self::NotAMember(NotAMember),
        }
    }
}

impl From<AdmissionRejection> for Problem {
    fn from(rejection: AdmissionRejection) -> Self {
        match rejection {
            AdmissionRejection::NoOrganization => NoScope::NoOrganization.into_problem(),
            AdmissionRejection::NotAMember(r) => r.into(),
            AdmissionRejection::OrganizationInactive(r) => r.into(),
            AdmissionRejection::BillingLapsed(r) => r.into(),
        }
    }
}

impl IntoResponse for AdmissionRejection {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}

/// Why a sign-in gave no session: wrong credentials, a refusal, or a
/// failure (a 422 for a refused value, a 503 when the database is busy,
/// else an opaque 500).
///
/// ```
/// use axum::Json;
/// use tenancy_axum::SignInRejection;
///
/// async fn sign_in(pool: sqlx::SqlitePool, user: tenancy_core::UserId) -> Result<Json<String>, SignInRejection> {
///     let now = chrono::Utc::now();
///     let policy = tenancy_access::billing::BillingPolicy::default();
///     let token = tenancy_access::sign_in(&pool, user, None, &policy, chrono::Duration::hours(8), now).await?;
///     Ok(Json(token.expose().to_owned()))
/// }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum SignInRejection {
    /// 401 `invalid_login`: the email or password is wrong.
    InvalidLogin(InvalidLogin),
    /// The principal may not act for the organization now.
    Refused(AdmissionRejection),
    /// The database failed.
    Failed(Problem),
}

impl From<SignInError> for SignInRejection {
    fn from(error: SignInError) -> Self {
        match error {
            SignInError::InvalidCredentials => Self::InvalidLogin(InvalidLogin),
            SignInError::Refused(refusal) => Self::Refused(refusal.into()),
            SignInError::Failed(error) => Self::Failed(error.into()),
            // `SignInError` grows: an unknown failure says nothing more.
            _ => Self::Failed(Problem::internal()),
        }
    }
}

impl From<SignInRejection> for Problem {
    fn from(rejection: SignInRejection) -> Self {
        match rejection {
            SignInRejection::InvalidLogin(rejection) => rejection.into(),
            SignInRejection::Refused(refusal) => refusal.into(),
            SignInRejection::Failed(problem) => problem,
        }
    }
}

impl IntoResponse for SignInRejection {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}

/// Why the [`Principal`](crate::Principal) extractor found no principal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PrincipalRejection {
    /// 401 `unauthenticated`: nobody is signed in.
    Unauthenticated,
    /// 500 `internal`: no tenancy layer ran on the request (logged with
    /// the fix).
    MissingLayer,
}

impl From<PrincipalRejection> for Problem {
    fn from(rejection: PrincipalRejection) -> Self {
        match rejection {
            PrincipalRejection::Unauthenticated => NoScope::Anonymous.into_problem(),
            PrincipalRejection::MissingLayer => missing_layer("tenancy_axum::Principal"),
        }
    }
}

impl IntoResponse for PrincipalRejection {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}

/// Why [`Require<P>`](crate::Require) refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequireRejection {
    /// 401 `unauthenticated`: nobody is signed in.
    Unauthenticated,
    /// 403 `no_organization`: the principal acts in no organization.
    NoOrganization,
    /// 403 `missing_permission`: the principal lacks the permission.
    MissingPermission(MissingPermission),
    /// 500 `internal`: no tenancy layer ran on the request (logged with
    /// the fix).
    MissingLayer,
}

impl From<RequireRejection> for Problem {
    fn from(rejection: RequireRejection) -> Self {
        match rejection {
            RequireRejection::Unauthenticated => NoScope::Anonymous.into_problem(),
            RequireRejection::NoOrganization => NoScope::NoOrganization.into_problem(),
            RequireRejection::MissingPermission(missing) => missing.into(),
            RequireRejection::MissingLayer => missing_layer("tenancy_axum::Require"),
        }
    }
}

impl IntoResponse for RequireRejection {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use axum::http::{StatusCode, header};
    use tenancy_core::http::Problem;

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
