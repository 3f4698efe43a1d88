//! Reading forms: the CSRF token first, then the fields, each parsed with
//! an error kept for the field it came from, so that a page can show it
//! next to that field.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use axum::body::{Bytes, to_bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use tenancy_core::{Amount, Id};

use super::SESSION_COOKIE;
use crate::http::BODY_LIMIT;

/// Errors by field name.
pub(super) type Errors = BTreeMap<&'static str, String>;

/// A posted form whose CSRF token matched the session's: its fields.
///
/// Refused with 403 when the token is missing or wrong (nothing in the
/// form is read), 415 when the body is not a form, 413 over
/// [`BODY_LIMIT`].
#[derive(Debug)]
pub(super) struct Form {
    fields: HashMap<String, String>,
}

impl Form {
    /// Parses `body` and checks its `csrf` field against `secret`.
    pub(super) fn checked(body: &Bytes, secret: &str) -> Result<Self, CsrfRefused> {
        let fields: HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
        let presented = fields.get("csrf").map_or("", String::as_str);
        if !tenancy_axum::csrf_matches(secret, presented) {
            return Err(CsrfRefused);
        }
        Ok(Self { fields })
    }

    /// The trimmed text of `name` (empty when absent).
    pub(super) fn text(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", |value| value.trim())
    }

    /// The text of `name`, or `None` when empty.
    pub(super) fn optional_text(&self, name: &str) -> Option<String> {
        Some(self.text(name))
            .filter(|text| !text.is_empty())
            .map(str::to_owned)
    }

    /// `name` parsed, or its error recorded.
    fn parsed<T: FromStr>(&self, name: &'static str, errors: &mut Errors, what: &str) -> Option<T> {
        let text = self.text(name);
        if text.is_empty() {
            errors.insert(name, "is required".into());
            return None;
        }
        match text.parse() {
            Ok(value) => Some(value),
            Err(_) => {
                errors.insert(name, format!("must be {what}"));
                None
            }
        }
    }

    /// `name` parsed when given, its error recorded when malformed.
    fn optional<T: FromStr>(
        &self,
        name: &'static str,
        errors: &mut Errors,
        what: &str,
    ) -> Option<T> {
        if self.text(name).is_empty() {
            return None;
        }
        self.parsed(name, errors, what)
    }

    /// An amount (`12.5`), required.
    pub(super) fn amount(&self, name: &'static str, errors: &mut Errors) -> Option<Amount> {
        self.parsed(name, errors, "a number such as 12.5")
    }

    /// An id of a row, required (its organization is checked by the
    /// service it is given to).
    pub(super) fn id<T>(&self, name: &'static str, errors: &mut Errors) -> Option<Id<T>> {
        self.parsed::<i64>(name, errors, "one of the choices")
            .map(Id::new)
    }

    /// A date (`2026-12-31`), required.
    pub(super) fn date(&self, name: &'static str, errors: &mut Errors) -> Option<NaiveDate> {
        self.parsed(name, errors, "a date such as 2026-12-31")
    }

    /// A date, when given.
    pub(super) fn optional_date(
        &self,
        name: &'static str,
        errors: &mut Errors,
    ) -> Option<NaiveDate> {
        self.optional(name, errors, "a date such as 2026-12-31")
    }
}

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = Response;

    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        let is_form = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
        let secret = tenancy_axum::cookie_value(request.headers(), SESSION_COOKIE)
            .unwrap_or("")
            .to_owned();
        if !is_form {
            return Err(problem(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "not_a_form",
                "Not a form",
                "send the form as application/x-www-form-urlencoded",
            ));
        }
        let body = to_bytes(request.into_body(), BODY_LIMIT)
            .await
            .map_err(|_| {
                problem(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    "Form too large",
                    "the form is larger than the server reads",
                )
            })?;
        Self::checked(&body, &secret).map_err(IntoResponse::into_response)
    }
}

fn problem(
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: &'static str,
) -> Response {
    tenancy_axum::Problem::new(status, code, title)
        .with_detail(detail)
        .into_response()
}

/// The refusal of a form without the session's CSRF token.
#[derive(Debug, Clone, Copy)]
pub(super) struct CsrfRefused;

impl IntoResponse for CsrfRefused {
    fn into_response(self) -> Response {
        problem(
            StatusCode::FORBIDDEN,
            "csrf",
            "Form expired",
            "this form did not come from this session's pages; reload the page and send it again",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_without_the_token_is_refused_before_it_is_read() {
        let token = tenancy_axum::csrf_token("s3cret");
        let ok = Form::checked(&Bytes::from(format!("csrf={token}&n=1")), "s3cret");
        assert!(ok.is_ok());
        for body in ["n=1", "csrf=&n=1", "csrf=00&n=1"] {
            let refused = Form::checked(&Bytes::from(body), "s3cret").expect_err(body);
            assert_eq!(refused.into_response().status(), StatusCode::FORBIDDEN);
        }
        let other = Form::checked(&Bytes::from(format!("csrf={token}")), "another");
        assert!(other.is_err());
    }

    #[test]
    fn fields_keep_their_errors() {
        let token = tenancy_axum::csrf_token("k");
        let body = format!("csrf={token}&q=12.5&bad=twelve&day=2026-02-30&id=7");
        let form = Form::checked(&Bytes::from(body), "k").expect("a form");
        let mut errors = Errors::new();
        assert_eq!(
            form.amount("q", &mut errors),
            Some("12.5".parse().expect("an amount"))
        );
        assert_eq!(form.amount("bad", &mut errors), None);
        assert_eq!(form.amount("missing", &mut errors), None);
        assert_eq!(form.optional_date("day", &mut errors), None);
        assert_eq!(form.optional_date("none", &mut errors), None);
        assert_eq!(form.id::<()>("id", &mut errors), Some(Id::new(7)));
        assert_eq!(errors.len(), 3);
        assert_eq!(errors["missing"], "is required");
    }
}
