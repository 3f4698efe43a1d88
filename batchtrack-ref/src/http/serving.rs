//! The layers every route shares: what makes the API behave like a
//! service under real clients. A request gets an id (kept from the
//! client's `x-request-id` or made), which its log span and its response
//! carry; its body is limited to [`BODY_LIMIT`]; it is answered within
//! [`REQUEST_TIMEOUT`]; a panic is a 500 problem and not a dropped
//! connection; and any error answered without problem details or a page
//! (a method the route lacks, a body over the limit) is made a problem.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tenancy_axum::Problem;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use super::problem::{malformed, timed_out, too_large};
use super::{BODY_LIMIT, REQUEST_TIMEOUT};

/// The request id header, read from clients and sent back.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// `router` with the layers; the last added is the outermost, so a
/// request meets the id first, and the problem mapping sees what the body
/// limit and the timeout answer.
pub(super) fn serve(router: Router) -> Router {
    router
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::from_fn(as_problem))
        .layer(CatchPanicLayer::custom(panicked))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(span))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// The log span of a request: its method, path and id.
fn span(request: &Request) -> tracing::Span {
    let id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %id,
    )
}

/// A panic is logged and answered as a plain 500 problem.
fn panicked(panic: Box<dyn std::any::Any + Send>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(ToString::to_string)
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %message, "a handler panicked");
    Problem::internal().into_response()
}

/// Turns an error answered without problem details into one, by status.
async fn as_problem(request: Request, next: axum::middleware::Next) -> Response {
    {
        let response = next.run(request).await;
        let status = response.status();
        // Problems, and the web app's error pages, are answers already.
        let answered = response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|value| {
                let value = value.as_bytes();
                value.starts_with(b"application/problem+json") || value.starts_with(b"text/html")
            });
        if !(status.is_client_error() || status.is_server_error()) || answered {
            return response;
        }
        let allow = response.headers().get(header::ALLOW).cloned();
        let mut replaced = problem_for(status).into_response();
        if let Some(allow) = allow {
            replaced.headers_mut().insert(header::ALLOW, allow);
        }
        replaced
    }
}

fn problem_for(status: StatusCode) -> Problem {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        StatusCode::SERVICE_UNAVAILABLE => timed_out(),
        StatusCode::METHOD_NOT_ALLOWED => {
            Problem::new(status, "method_not_allowed", "Method not allowed")
                .with_detail("the route does not take this method; see the Allow header")
        }
        StatusCode::NOT_FOUND => Problem::new(status, "no_route", "Not found")
            .with_detail("the API has no such route; see /openapi.json"),
        status if status.is_client_error() => malformed(
            status
                .canonical_reason()
                .unwrap_or("the request was refused"),
        ),
        _ => Problem::internal(),
    }
}
