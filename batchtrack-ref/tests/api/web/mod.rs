//! The web pages, driven as a browser drives them: a cookie session, forms
//! posted with their CSRF token, redirects read rather than followed. On
//! both backends, like the API.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::Value;

use crate::served::Served;

/// A browser of one person: its cookies and the CSRF token of its pages.
struct Visitor<'a> {
    app: &'a Served,
    client: reqwest::Client,
    cookies: Vec<(String, String)>,
}

/// A page answered: status, body, the redirect's target.
struct Page {
    status: StatusCode,
    html: String,
    location: Option<String>,
}

impl<'a> Visitor<'a> {
    fn new(app: &'a Served) -> Self {
        Self {
            app,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a client"),
            cookies: Vec::new(),
        }
    }

    /// Signed in as `email`, with the demo password.
    async fn signed_in(app: &'a Served, email: &str) -> Self {
        let mut visitor = Self::new(app);
        let form = visitor.get("/sign-in").await;
        assert_eq!(form.status, 200, "{}", form.html);
        let csrf = csrf_of(&form.html);
        let answer = visitor
            .post_raw(
                "/sign-in",
                &[
                    ("csrf", csrf.as_str()),
                    ("next", "/"),
                    ("email", email),
                    ("password", batchtrack_ref::demo::PASSWORD),
                ],
            )
            .await;
        assert_eq!(answer.status, 303, "{email} signs in: {}", answer.html);
        assert_eq!(answer.location.as_deref(), Some("/"));
        visitor
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let request = if self.cookies.is_empty() {
            request
        } else {
            request.header(COOKIE, self.cookie_header())
        };
        let response = request.send().await.expect("answered");
        for set in response.headers().get_all(SET_COOKIE) {
            let text = set.to_str().expect("ascii");
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').expect("name=value");
            assert!(attributes.contains("HttpOnly"), "{text}");
            assert!(attributes.contains("SameSite=Lax"), "{text}");
            self.cookies.retain(|(kept, _)| kept != name);
            if !attributes.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .map(|value| value.to_str().expect("ascii").to_owned());
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .map(|value| value.to_str().expect("ascii").to_owned());
        let html = response.text().await.expect("a body");
        if status.is_client_error() || status.is_server_error() {
            assert!(
                content_type
                    .as_deref()
                    .is_some_and(|kind| kind.starts_with("text/html")),
                "an error page, not {content_type:?}: {status} {html}"
            );
        }
        Page {
            status,
            html,
            location,
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(format!("{}{path}", self.app.base));
        self.send(request).await
    }

    /// Posts `fields` as they are.
    async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = self
            .client
            .post(format!("{}{path}", self.app.base))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        self.send(request).await
    }

    /// Posts `fields` with the CSRF token of this visitor's pages.
    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = csrf_of(&self.get("/").await.html);
        let mut with = vec![("csrf", csrf.as_str())];
        with.extend_from_slice(fields);
        self.post_raw(path, &with).await
    }
}

/// The CSRF token in a page's first form.
fn csrf_of(html: &str) -> String {
    let at = html
        .find(r#"name="csrf" value=""#)
        .expect("a form with a CSRF token");
    let rest = &html[at + r#"name="csrf" value=""#.len()..];
    rest[..rest.find('"').expect("the value ends")].to_owned()
}

/// The id in a `/kind/{id}` location.
fn id_in(location: &str) -> i64 {
    location
        .rsplit('/')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("an id")
}

/// An id the API lists for `email` at `path` (JSON), by field `name`.
async fn api_id(app: &Served, email: &str, path: &str, field: &str, value: &str) -> i64 {
    let token = app.login(email).await;
    app.items(&token, path)
        .await
        .into_iter()
        .find(|item| item[field] == Value::String(value.into()))
        .and_then(|item| item["id"].as_i64())
        .unwrap_or_else(|| panic!("{path} has {field} = {value}"))
}

mod flows;
mod refusals;
mod session;
mod switcher;
