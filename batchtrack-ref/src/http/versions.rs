//! Versions on the wire: a resource that can be edited is answered with
//! its version as the `ETag`, and an edit (`PATCH`) must name the version
//! it was made against in `If-Match`, so that a stale write answers `412`
//! and changes nothing. `If-Match: *` overwrites whatever is there.

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tenancy_axum::Problem;
use utoipa::IntoParams;

use crate::domain::edits::version;

/// `value` as JSON, with its version as a strong `ETag`.
pub(crate) fn tagged<T: Serialize>(value: T) -> Response {
    let version = version(&value);
    tagged_as(&version, value)
}

/// `body` as JSON, with `version` (the version of the resource it shows)
/// as a strong `ETag`.
pub(crate) fn tagged_as<T: Serialize>(version: &str, body: T) -> Response {
    let tag = HeaderValue::from_str(&format!("\"{version}\"")).ok();
    let mut response = Json(body).into_response();
    if let Some(tag) = tag {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

/// The version an edit names: `None` for `If-Match: *`.
#[derive(Debug, Clone, IntoParams)]
#[into_params(parameter_in = Header)]
pub(crate) struct IfMatch {
    /// The `ETag` of the resource as last read (or `*` to overwrite).
    #[param(rename = "If-Match", value_type = String)]
    version: Option<String>,
}

impl IfMatch {
    /// The version, or `None` to overwrite.
    pub(crate) fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else {
            return Err(Problem::new(
                StatusCode::PRECONDITION_REQUIRED,
                "precondition_required",
                "If-Match required",
            )
            .with_detail(
                "send the ETag of the resource as last read in If-Match (or `*` to overwrite)",
            ));
        };
        let text = value.to_str().unwrap_or("").trim();
        if text == "*" {
            return Ok(Self { version: None });
        }
        // A weak tag names the same version here: versions are hashes of
        // the whole resource.
        let tag = text.strip_prefix("W/").unwrap_or(text);
        match tag.strip_prefix('"').and_then(|tag| tag.strip_suffix('"')) {
            Some(version) if !version.is_empty() && !version.contains('"') => Ok(Self {
                version: Some(version.to_owned()),
            }),
            _ => Err(super::problem::malformed(
                "If-Match must be one quoted ETag, as the resource was answered with",
            )),
        }
    }
}
