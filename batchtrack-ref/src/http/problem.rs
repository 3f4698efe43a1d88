//! Every failure of the API as `application/problem+json`: the library's
//! refusals, the domain's, and the client's own mistakes (malformed JSON,
//! a wrong type, an unknown field, a body too large, a path that is not an
//! id), so that no client mistake is answered with a 5xx nor with text
//! that is not problem details.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tenancy_axum::Problem;

use crate::domain::{DomainError, Shortfall};

/// What a handler answers when it refuses: a problem, or short stock with
/// the lines that are short.
#[derive(Debug)]
pub enum ApiError {
    /// A problem as it is (boxed: results stay small on the happy path).
    Problem(Box<Problem>),
    /// 409 `short_stock`: the problem, and every ingredient that is short.
    ShortStock(Vec<Shortfall>),
    /// 412 `stale`: the resource changed since the version the request
    /// named; its current version is sent as the `ETag`.
    Stale(String),
}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> Self {
        Self::Problem(Box::new(problem))
    }
}

impl From<tenancy_core::Error> for ApiError {
    fn from(error: tenancy_core::Error) -> Self {
        Problem::from(error).into()
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        let problem = match error {
            DomainError::ShortStock(lines) => return Self::ShortStock(lines),
            DomainError::Stale { version } => return Self::Stale(version),
            DomainError::Library(error) => Problem::from(error),
            DomainError::Invalid { field, reason } => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "Invalid value")
                    .with_detail(format!("{field}: {reason}"))
                    .with_field(field)
            }
            DomainError::Conversion(error) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unit_mismatch",
                "Units do not convert",
            )
            .with_detail(error.to_string()),
            DomainError::BatchNotInProgress { .. } => Problem::new(
                StatusCode::CONFLICT,
                "batch_not_in_progress",
                "Batch not in progress",
            )
            .with_detail(error.to_string()),
            DomainError::NotEnoughGoods { .. } => {
                Problem::new(StatusCode::CONFLICT, "not_enough_goods", "Not enough goods")
                    .with_detail(error.to_string())
            }
        };
        problem.into()
    }
}

/// The body of a short-stock refusal: the problem's fields and the lines.
#[derive(Serialize)]
struct ShortStockBody<'a> {
    #[serde(flatten)]
    problem: &'a Problem,
    shortfalls: &'a [Shortfall],
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Problem(problem) => (*problem).into_response(),
            Self::Stale(version) => {
                let mut response = Problem::new(
                    StatusCode::PRECONDITION_FAILED,
                    "stale",
                    "Changed meanwhile",
                )
                .with_detail(
                    "the resource changed since the version in If-Match; read it again (its ETag is \
                     sent) and redo the change",
                )
                .into_response();
                if let Ok(tag) = axum::http::HeaderValue::from_str(&format!("\"{version}\"")) {
                    response.headers_mut().insert(axum::http::header::ETAG, tag);
                }
                response
            }
            Self::ShortStock(shortfalls) => {
                let problem = short_stock();
                let body = ShortStockBody {
                    problem: &problem,
                    shortfalls: &shortfalls,
                };
                match serde_json::to_vec(&body) {
                    Ok(bytes) => (
                        problem.status(),
                        [(axum::http::header::CONTENT_TYPE, "application/problem+json")],
                        bytes,
                    )
                        .into_response(),
                    Err(_) => problem.into_response(),
                }
            }
        }
    }
}

fn short_stock() -> Problem {
    Problem::new(StatusCode::CONFLICT, "short_stock", "Not enough stock")
        .with_detail("usable lots do not cover the recipe; see `shortfalls`")
}

/// The result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

/// 400 `malformed`: a request the API cannot read.
pub(crate) fn malformed(detail: impl Into<std::borrow::Cow<'static, str>>) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, "malformed", "Malformed request").with_detail(detail)
}

/// A JSON body, read into `T` with every rejection as a problem: 415
/// without a JSON content type, 413 beyond the body limit, 400 for JSON
/// that does not parse, 422 for JSON of the wrong shape (a wrong type, an
/// unknown field, a missing field, an absurd number), naming where.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_problem(&rejection)),
        }
    }
}

fn json_problem(rejection: &JsonRejection) -> Problem {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported media type",
        )
        .with_detail("send the body as JSON, with `Content-Type: application/json`"),
        JsonRejection::JsonDataError(error) => {
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "Invalid value")
                .with_detail(data_error(&error.body_text()))
        }
        JsonRejection::JsonSyntaxError(_) => malformed("the body is not valid JSON"),
        JsonRejection::BytesRejection(_) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            too_large()
        }
        _ => malformed("the body could not be read"),
    }
}

/// serde's account of the mismatch (`quantity: invalid type: ...`),
/// without axum's preamble: it speaks of the request's own fields.
fn data_error(text: &str) -> String {
    text.strip_prefix("Failed to deserialize the JSON body into the target type: ")
        .unwrap_or(text)
        .to_owned()
}

/// 413 `too_large`.
pub(crate) fn too_large() -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        "Request body too large",
    )
    .with_detail(format!(
        "the body is larger than {} KiB",
        super::BODY_LIMIT / 1024
    ))
}

/// Path parameters, with a rejection as a 400 problem (an id that is not
/// a number, say).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PathOf<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathOf<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(path_problem(&rejection)),
        }
    }
}

fn path_problem(rejection: &PathRejection) -> Problem {
    match rejection {
        PathRejection::FailedToDeserializePathParams(_) => {
            malformed("an id in the path is not a whole number")
        }
        _ => Problem::internal(),
    }
}

/// A query string, with a rejection as a 400 problem naming the mistake.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct QueryOf<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryOf<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(query_problem(&rejection)),
        }
    }
}

fn query_problem(rejection: &QueryRejection) -> Problem {
    let text = rejection.body_text();
    malformed(
        text.strip_prefix("Failed to deserialize query string: ")
            .unwrap_or(&text)
            .to_owned(),
    )
}

/// 404 for a route the API does not have.
pub(crate) async fn no_route() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "no_route", "Not found")
        .with_detail("the API has no such route; see /openapi.json")
}

/// The problem of a request that failed outside the handlers: a timeout,
/// a panic.
pub(crate) fn timed_out() -> Problem {
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "timeout",
        "Request timed out",
    )
    .with_detail("the request took too long; try again shortly")
    .with_retry_after(1)
}
