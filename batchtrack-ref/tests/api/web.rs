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

async fn every_page_answers_its_owner(app: &Served) {
    let mut owner = Visitor::signed_in(app, "owner@acme.example").await;
    let recipe = api_id(
        app,
        "owner@acme.example",
        "/api/v1/recipes",
        "name",
        "Lavender soap",
    )
    .await;
    let ingredient = api_id(
        app,
        "owner@acme.example",
        "/api/v1/ingredients",
        "name",
        "Olive oil",
    )
    .await;
    let token = app.login("owner@acme.example").await;
    let batch = app.items(&token, "/api/v1/batches").await[0]["id"]
        .as_i64()
        .expect("the demo's batch");
    let lot = app.items(&token, "/api/v1/lots").await[0]["id"]
        .as_i64()
        .expect("a lot");
    for path in [
        "/".to_owned(),
        "/ingredients".to_owned(),
        format!("/ingredients/{ingredient}"),
        "/recipes".to_owned(),
        format!("/recipes/{recipe}"),
        format!("/recipes/{recipe}?scale=2.5"),
        "/batches".to_owned(),
        "/products".to_owned(),
        "/team".to_owned(),
        "/audit".to_owned(),
        format!("/batches/{batch}/trace"),
        format!("/lots/{lot}/trace"),
    ] {
        let page = owner.get(&path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.html);
        assert!(
            page.html.contains("Acme Soap Co"),
            "{path} names the organization"
        );
        assert!(
            !page.html.contains("Birch"),
            "{path} shows nothing of Birch"
        );
    }
    let css = owner.get("/static/site.css").await;
    assert_eq!(css.status, 200);
}

async fn nobody_signed_in_is_sent_to_sign_in(app: &Served) {
    let mut nobody = Visitor::new(app);
    for path in ["/", "/ingredients", "/batches/1", "/products"] {
        let page = nobody.get(path).await;
        assert_eq!(page.status, 303, "{path}");
        let to = page.location.expect("a redirect");
        assert!(to.starts_with("/sign-in"), "{path} goes to {to}");
    }
    let page = nobody.get("/batches").await;
    assert_eq!(page.location.as_deref(), Some("/sign-in?next=%2Fbatches"));
    // A stale cookie: the session ended.
    nobody.cookies.push((
        batchtrack_ref::web::SESSION_COOKIE.into(),
        "not-a-token".into(),
    ));
    let page = nobody.get("/").await;
    assert_eq!(page.location.as_deref(), Some("/sign-in?expired=1"));
}

async fn sign_in_refuses_wrong_passwords_and_foreign_forms(app: &Served) {
    let mut visitor = Visitor::new(app);
    let form = visitor.get("/sign-in").await;
    let csrf = csrf_of(&form.html);
    let wrong = visitor
        .post_raw(
            "/sign-in",
            &[
                ("csrf", &csrf),
                ("email", "owner@acme.example"),
                ("password", "wrong"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.html.contains("Wrong email or password"));
    assert!(
        wrong.html.contains(r#"value="owner@acme.example""#),
        "the email is kept"
    );
    // A sign-in form posted from another site carries no token of ours.
    let mut elsewhere = Visitor::new(app);
    let refused = elsewhere
        .post_raw(
            "/sign-in",
            &[
                ("email", "owner@acme.example"),
                ("password", batchtrack_ref::demo::PASSWORD),
            ],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert!(elsewhere.cookies.is_empty(), "no session was given");
    // A `next` of another site is not followed.
    let form = elsewhere.get("/sign-in").await;
    let csrf = csrf_of(&form.html);
    let answer = elsewhere
        .post_raw(
            "/sign-in",
            &[
                ("csrf", &csrf),
                ("next", "//evil.example/"),
                ("email", "owner@acme.example"),
                ("password", batchtrack_ref::demo::PASSWORD),
            ],
        )
        .await;
    assert_eq!(answer.location.as_deref(), Some("/"));
}

async fn the_daily_flow_runs_in_pages(app: &Served) {
    let mut owner = Visitor::signed_in(app, "owner@acme.example").await;
    let recipe = api_id(
        app,
        "owner@acme.example",
        "/api/v1/recipes",
        "name",
        "Lavender soap",
    )
    .await;
    let check = owner.get(&format!("/recipes/{recipe}?scale=1")).await;
    assert!(
        check.html.contains("Enough stock for this batch."),
        "{}",
        check.html
    );
    assert!(check.html.contains("The largest batch possible now"));
    let short = owner.get(&format!("/recipes/{recipe}?scale=500")).await;
    assert!(short.html.contains("Not enough stock"));
    assert!(
        !short.html.contains("Start batch"),
        "no start offered when short"
    );
    let started = owner
        .post(
            "/batches",
            &[("recipe_id", &recipe.to_string()), ("scale", "1")],
        )
        .await;
    assert_eq!(started.status, 303, "{}", started.html);
    let batch = id_in(started.location.as_deref().expect("the batch's page"));
    let page = owner.get(&format!("/batches/{batch}")).await;
    assert!(page.html.contains("in progress"));
    let sku = csrf_free_option(&page.html);
    let finished = owner
        .post(
            &format!("/batches/{batch}/finish"),
            &[
                ("sku_id", &sku),
                ("yield_quantity", "12"),
                ("batch_code", &format!("WEB-{batch}")),
            ],
        )
        .await;
    assert_eq!(finished.status, 303, "{}", finished.html);
    let products = owner.get("/products").await;
    assert!(
        products.html.contains(&format!("WEB-{batch}: 12 pcs")),
        "{}",
        products.html
    );
    // Too much at once: the page says what is short, nothing is taken.
    let refused = owner
        .post(
            "/batches",
            &[("recipe_id", &recipe.to_string()), ("scale", "500")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.html.contains("is short by"), "{}", refused.html);
    // A malformed scale is shown next to its field.
    let malformed = owner.get(&format!("/recipes/{recipe}?scale=lots")).await;
    assert!(malformed.html.contains("must be a number"));
}

/// The first option's value of the page's SKU dropdown.
fn csrf_free_option(html: &str) -> String {
    let at = html
        .find(r#"<select id="sku_id""#)
        .expect("the SKU dropdown");
    let rest = &html[at..];
    let at = rest.find(r#"<option value=""#).expect("an option") + r#"<option value=""#.len();
    rest[at..at + rest[at..].find('"').expect("ends")].to_owned()
}

async fn forms_without_the_token_change_nothing(app: &Served) {
    let mut owner = Visitor::signed_in(app, "owner@acme.example").await;
    let recipe = api_id(
        app,
        "owner@acme.example",
        "/api/v1/recipes",
        "name",
        "Lavender soap",
    )
    .await;
    let ingredient = api_id(
        app,
        "owner@acme.example",
        "/api/v1/ingredients",
        "name",
        "Olive oil",
    )
    .await;
    let before = owner
        .get("/batches")
        .await
        .html
        .matches("in progress")
        .count();
    let recipe = recipe.to_string();
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/batches".into(),
            vec![("recipe_id", recipe.as_str()), ("scale", "1")],
        ),
        (
            "/ingredients".into(),
            vec![("name", "Beeswax"), ("stock_unit_id", "1")],
        ),
        (
            format!("/ingredients/{ingredient}/lots"),
            vec![
                ("lot_number", "X"),
                ("quantity", "1"),
                ("unit_id", "1"),
                ("cost_per_unit", "1"),
                ("received_on", "2026-01-01"),
            ],
        ),
        (
            "/batches/1/finish".into(),
            vec![("sku_id", "1"), ("yield_quantity", "1")],
        ),
        ("/batches/1/cancel".into(), vec![]),
        (
            "/lots/1/adjust".into(),
            vec![("kind", "spoilage"), ("quantity", "1"), ("reason", "x")],
        ),
        (
            "/team/invitations".into(),
            vec![("email", "x@acme.example"), ("invite_role", "1")],
        ),
        ("/team/roles".into(), vec![("name", "Forged")]),
        (
            "/team/permissions".into(),
            vec![("grant_role", "1"), ("permission", "inventory.view")],
        ),
        ("/team/members/1/deactivate".into(), vec![]),
        ("/team/members/1/restore".into(), vec![]),
        ("/team/members/1/roles".into(), vec![("role_id", "1")]),
        ("/team/role-assignments/1/revoke".into(), vec![]),
        ("/team/invitations/1/revoke".into(), vec![]),
        ("/team/transfer".into(), vec![("user_id", "2")]),
        ("/organizations".into(), vec![("organization_id", "1")]),
        ("/sign-out".into(), vec![]),
    ];
    for (path, fields) in &posts {
        let missing = owner.post_raw(path, fields).await;
        assert_eq!(missing.status, 403, "{path} without a token");
        let mut forged = vec![("csrf", "00ff")];
        forged.extend_from_slice(fields);
        let wrong = owner.post_raw(path, &forged).await;
        assert_eq!(wrong.status, 403, "{path} with a wrong token");
    }
    // Another session's token does not do either.
    let mut other = Visitor::signed_in(app, "manager@acme.example").await;
    let theirs = csrf_of(&other.get("/").await.html);
    let refused = owner
        .post_raw(
            "/batches",
            &[("csrf", &theirs), ("recipe_id", &recipe), ("scale", "1")],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        owner
            .get("/batches")
            .await
            .html
            .matches("in progress")
            .count(),
        before
    );
    assert!(!owner.get("/ingredients").await.html.contains("Beeswax"));
    assert_eq!(owner.get("/").await.status, 200, "still signed in");
}

async fn another_organizations_ids_are_refused(app: &Served) {
    let mut acme = Visitor::signed_in(app, "owner@acme.example").await;
    let birch_recipe = api_id(
        app,
        "owner@birch.example",
        "/api/v1/recipes",
        "name",
        "Birch candle",
    )
    .await;
    let birch_ingredient = api_id(
        app,
        "owner@birch.example",
        "/api/v1/ingredients",
        "name",
        "Soy wax",
    )
    .await;
    let birch_token = app.login("owner@birch.example").await;
    let birch_sku = app.items(&birch_token, "/api/v1/skus").await[0]["id"]
        .as_i64()
        .expect("a SKU");
    for path in [
        format!("/recipes/{birch_recipe}"),
        format!("/ingredients/{birch_ingredient}"),
    ] {
        let page = acme.get(&path).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(!page.html.contains("Birch candle") && !page.html.contains("Soy wax"));
    }
    let started = acme
        .post(
            "/batches",
            &[("recipe_id", &birch_recipe.to_string()), ("scale", "1")],
        )
        .await;
    assert_eq!(started.status, 404, "{}", started.html);
    let received = acme
        .post(
            &format!("/ingredients/{birch_ingredient}/lots"),
            &[
                ("lot_number", "SMUGGLED"),
                ("quantity", "5"),
                ("unit_id", "1"),
                ("cost_per_unit", "1"),
                ("received_on", "2026-11-01"),
            ],
        )
        .await;
    assert!(
        received.status == 404 || received.status == 422,
        "{}",
        received.status
    );
    // A batch of Acme's, finished into Birch's SKU: refused at the field.
    let recipe = api_id(
        app,
        "owner@acme.example",
        "/api/v1/recipes",
        "name",
        "Lavender soap",
    )
    .await;
    let started = acme
        .post(
            "/batches",
            &[("recipe_id", &recipe.to_string()), ("scale", "1")],
        )
        .await;
    let batch = id_in(started.location.as_deref().expect("started"));
    let finished = acme
        .post(
            &format!("/batches/{batch}/finish"),
            &[("sku_id", &birch_sku.to_string()), ("yield_quantity", "3")],
        )
        .await;
    assert_eq!(finished.status, 422, "{}", finished.html);
    assert!(
        finished.html.contains(r#"id="sku_id-error""#),
        "{}",
        finished.html
    );
    assert!(
        acme.get(&format!("/batches/{batch}"))
            .await
            .html
            .contains("in progress")
    );
    let birch_lots = app.items(&birch_token, "/api/v1/lots?limit=200").await;
    assert!(birch_lots.iter().all(|lot| lot["lot_number"] != "SMUGGLED"));
}

async fn a_viewer_sees_no_forms_and_is_refused(app: &Served) {
    let mut viewer = Visitor::signed_in(app, "viewer@acme.example").await;
    let recipe = api_id(
        app,
        "owner@acme.example",
        "/api/v1/recipes",
        "name",
        "Lavender soap",
    )
    .await;
    let ingredient = api_id(
        app,
        "owner@acme.example",
        "/api/v1/ingredients",
        "name",
        "Olive oil",
    )
    .await;
    let check = viewer.get(&format!("/recipes/{recipe}")).await;
    assert_eq!(check.status, 200);
    assert!(!check.html.contains("Start batch"));
    let ingredient_page = viewer.get(&format!("/ingredients/{ingredient}")).await;
    assert!(!ingredient_page.html.contains("Receive a lot"));
    assert!(!ingredient_page.html.contains("Adjust"));
    assert!(
        !viewer
            .get("/ingredients")
            .await
            .html
            .contains("New ingredient")
    );
    let refused = viewer
        .post(
            "/batches",
            &[("recipe_id", &recipe.to_string()), ("scale", "1")],
        )
        .await;
    assert_eq!(refused.status, 403);
    let refused = viewer
        .post(
            "/ingredients",
            &[("name", "Viewer's"), ("stock_unit_id", "1")],
        )
        .await;
    assert_eq!(refused.status, 403);
}

async fn a_lapsed_subscription_names_the_owner(app: &Served) {
    let mut manager = Visitor::signed_in(app, "manager@birch.example").await;
    let mut owner = Visitor::signed_in(app, "owner@birch.example").await;
    app.lapse_billing("Birch Candle Works").await;
    let page = manager.get("/").await;
    assert_eq!(page.status, 402, "{}", page.html);
    assert!(page.html.contains("owner@birch.example"), "{}", page.html);
    assert_eq!(owner.get("/").await.status, 200, "the owner passes");
    // Signing in anew says the same.
    let mut fresh = Visitor::new(app);
    let form = fresh.get("/sign-in").await;
    let csrf = csrf_of(&form.html);
    let answer = fresh
        .post_raw(
            "/sign-in",
            &[
                ("csrf", &csrf),
                ("email", "viewer@birch.example"),
                ("password", batchtrack_ref::demo::PASSWORD),
            ],
        )
        .await;
    assert_eq!(answer.status, 402);
    assert!(answer.html.contains("owner@birch.example"));
    // The refused member can still sign out, from the refusal's page.
    let out = manager
        .post_raw("/sign-out", &[("csrf", &csrf_of(&page.html))])
        .await;
    assert_eq!(out.status, 303, "{}", out.html);
    assert_eq!(manager.get("/").await.status, 303, "signed out");
}

async fn pages_are_pages_and_never_framed(app: &Served) {
    let mut owner = Visitor::signed_in(app, "owner@acme.example").await;
    let response = owner
        .client
        .get(format!("{}/", app.base))
        .header(COOKIE, owner.cookie_header())
        .send()
        .await
        .expect("answered");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(header("x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(
        header("content-security-policy").as_deref(),
        Some("frame-ancestors 'none'")
    );
    assert_eq!(header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
    // Pages that are not there, methods they lack, malformed ids: pages.
    for (path, status) in [("/nowhere", 404), ("/batches/not-a-number", 400)] {
        let page = owner.get(path).await;
        assert_eq!(page.status, status, "{path}");
        assert!(page.html.contains("<h1>"), "{path}: {}", page.html);
    }
    let wrong_method = owner.post("/products", &[]).await;
    assert_eq!(wrong_method.status, 405);
    // A form posted once the session ended goes to sign in, then home:
    // a POST cannot be replayed.
    let mut stale = Visitor::new(app);
    stale
        .cookies
        .push((batchtrack_ref::web::SESSION_COOKIE.into(), "ended".into()));
    let page = stale.post_raw("/batches", &[("csrf", "x")]).await;
    assert_eq!(page.location.as_deref(), Some("/sign-in?expired=1"));
    // The API keeps its problems.
    let api = owner
        .client
        .get(format!("{}/api/v1/nothing", app.base))
        .send()
        .await
        .expect("answered");
    assert_eq!(
        api.headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
}

async fn signing_out_ends_the_session(app: &Served) {
    let mut owner = Visitor::signed_in(app, "owner@acme.example").await;
    let kept = owner.cookie_header();
    let out = owner.post("/sign-out", &[]).await;
    assert_eq!(out.status, 303);
    assert_eq!(out.location.as_deref(), Some("/sign-in"));
    // The old cookie, replayed, no longer signs anyone in.
    let mut replay = Visitor::new(app);
    for pair in kept.split("; ") {
        let (name, value) = pair.split_once('=').expect("a pair");
        replay.cookies.push((name.into(), value.into()));
    }
    let page = replay.get("/").await;
    assert_eq!(page.status, 303);
}

async fn the_team_is_managed_in_pages(app: &Served) {
    let mut owner = Visitor::signed_in(app, "owner@acme.example").await;
    let team = owner.get("/team").await;
    assert_eq!(team.status, 200);
    assert!(team.html.contains("Invite someone") && team.html.contains("Transfer ownership"));
    let token = app.login("owner@acme.example").await;
    let roles = app.items(&token, "/api/v1/roles").await;
    let role_id = |name: &str| {
        roles
            .iter()
            .find(|role| role["name"] == name)
            .and_then(|role| role["id"].as_i64())
            .unwrap_or_else(|| panic!("a role {name}"))
            .to_string()
    };
    let invited = owner
        .post(
            "/team/invitations",
            &[
                ("email", "packer@acme.example"),
                ("invite_role", &role_id("Viewer")),
            ],
        )
        .await;
    assert_eq!(invited.status, 303, "{}", invited.html);
    assert!(
        app.outbox
            .sent()
            .iter()
            .any(|message| message.to == "packer@acme.example")
    );
    assert!(
        owner
            .get("/team")
            .await
            .html
            .contains("packer@acme.example")
    );
    let made = owner.post("/team/roles", &[("name", "Packer")]).await;
    assert_eq!(made.status, 303, "{}", made.html);
    let roles = app.items(&token, "/api/v1/roles").await;
    let packer = roles
        .iter()
        .find(|role| role["name"] == "Packer")
        .and_then(|role| role["id"].as_i64())
        .expect("the new role")
        .to_string();
    let granted = owner
        .post(
            "/team/permissions",
            &[("grant_role", &packer), ("permission", "inventory.view")],
        )
        .await;
    assert_eq!(granted.status, 303, "{}", granted.html);
    let members = app.items(&token, "/api/v1/members").await;
    let viewer = members
        .iter()
        .find(|member| {
            member["name"]
                .as_str()
                .is_some_and(|name| name.contains("Viewer") || name.contains("viewer"))
        })
        .unwrap_or(&members[members.len() - 1])["membership_id"]
        .as_i64()
        .expect("a membership");
    let given = owner
        .post(
            &format!("/team/members/{viewer}/roles"),
            &[("role_id", &packer)],
        )
        .await;
    assert_eq!(given.status, 303, "{}", given.html);
    let off = owner
        .post(&format!("/team/members/{viewer}/deactivate"), &[])
        .await;
    assert_eq!(off.status, 303, "{}", off.html);
    assert!(owner.get("/team").await.html.contains("deactivated"));
    let on = owner
        .post(&format!("/team/members/{viewer}/restore"), &[])
        .await;
    assert_eq!(on.status, 303, "{}", on.html);
    // Another organization's membership is not found.
    let birch = app.login("owner@birch.example").await;
    let theirs = app.items(&birch, "/api/v1/members").await[0]["membership_id"]
        .as_i64()
        .expect("a membership");
    let refused = owner
        .post(&format!("/team/members/{theirs}/deactivate"), &[])
        .await;
    assert_eq!(refused.status, 404, "{}", refused.html);
    let audit = owner.get("/audit").await;
    assert!(audit.html.contains("invitation"), "{}", audit.html);
}

async fn only_the_owner_reads_the_audit_log_and_hands_over(app: &Served) {
    let mut manager = Visitor::signed_in(app, "manager@acme.example").await;
    let audit = manager.get("/audit").await;
    assert_eq!(audit.status, 403, "{}", audit.html);
    let team = manager.get("/team").await;
    assert!(!team.html.contains("Transfer ownership"));
    let token = app.login("owner@acme.example").await;
    let members = app.items(&token, "/api/v1/members").await;
    let me = members
        .iter()
        .find(|member| member["is_owner"] == true)
        .and_then(|member| member["user_id"].as_i64())
        .expect("the owner");
    let refused = manager
        .post("/team/transfer", &[("user_id", &me.to_string())])
        .await;
    assert_eq!(refused.status, 403, "{}", refused.html);
}

async fn a_developer_chooses_an_organization(app: &Served) {
    let mut dev = Visitor::new(app);
    let form = dev.get("/sign-in").await;
    let csrf = csrf_of(&form.html);
    let signed_in = dev
        .post_raw(
            "/sign-in",
            &[
                ("csrf", &csrf),
                ("email", "dev@batchtrack.example"),
                ("password", batchtrack_ref::demo::PASSWORD),
            ],
        )
        .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.html);
    let home = dev.get("/").await;
    assert_eq!(
        home.location.as_deref(),
        Some("/organizations"),
        "{}",
        home.html
    );
    let list = dev.get("/organizations").await;
    assert_eq!(list.status, 200, "{}", list.html);
    assert!(list.html.contains("Acme Soap Co") && list.html.contains("Birch Candle Works"));
    let birch = app.login("owner@birch.example").await;
    let birch_org = app.get(&birch, "/api/v1/me").await.body["organization_id"]
        .as_i64()
        .expect("an organization")
        .to_string();
    let chosen = dev
        .post_raw(
            "/organizations",
            &[
                ("csrf", &csrf_of(&list.html)),
                ("organization_id", &birch_org),
            ],
        )
        .await;
    assert_eq!(chosen.status, 303, "{}", chosen.html);
    let home = dev.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.html.contains("Birch Candle Works"));
    // Members have no switcher.
    let mut owner = Visitor::signed_in(app, "owner@acme.example").await;
    assert_eq!(owner.get("/organizations").await.status, 403);
    let moved = owner
        .post("/organizations", &[("organization_id", &birch_org)])
        .await;
    assert_eq!(moved.status, 403);
    assert!(owner.get("/").await.html.contains("Acme Soap Co"));
}

async fn forms_show_their_errors_next_to_their_fields(app: &Served) {
    let mut owner = Visitor::signed_in(app, "owner@acme.example").await;
    let ingredient = api_id(
        app,
        "owner@acme.example",
        "/api/v1/ingredients",
        "name",
        "Olive oil",
    )
    .await;
    let path = format!("/ingredients/{ingredient}/lots");
    let bad = owner
        .post(
            &path,
            &[
                ("lot_number", "L-9"),
                ("quantity", "lots"),
                ("unit_id", "1"),
                ("cost_per_unit", "-1"),
                ("received_on", "2026-02-30"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(bad.html.contains(r#"id="quantity-error""#), "{}", bad.html);
    assert!(bad.html.contains(r#"id="received_on-error""#));
    assert!(
        bad.html.contains(r#"value="L-9""#),
        "what was typed is kept"
    );
    // The service's own refusal lands at its field too.
    let negative = owner
        .post(
            &path,
            &[
                ("lot_number", "L-9"),
                ("quantity", "5"),
                ("unit_id", "1"),
                ("cost_per_unit", "-1"),
                ("received_on", "2026-11-02"),
            ],
        )
        .await;
    assert_eq!(negative.status, 422, "{}", negative.html);
    assert!(
        negative.html.contains(r#"id="cost_per_unit-error""#),
        "{}",
        negative.html
    );
    let token = app.login("owner@acme.example").await;
    let lots = |items: Vec<Value>| {
        items
            .iter()
            .filter(|lot| lot["lot_number"] == "L-9")
            .count()
    };
    assert_eq!(
        lots(app.items(&token, "/api/v1/lots?limit=200").await),
        0,
        "nothing written"
    );
    let grams = app.items(&token, "/api/v1/units").await;
    let grams = grams
        .iter()
        .find(|unit| unit["symbol"] == "g")
        .and_then(|unit| unit["id"].as_i64())
        .expect("grams")
        .to_string();
    let received = owner
        .post(
            &path,
            &[
                ("lot_number", "L-9"),
                ("supplier", "Northwind"),
                ("quantity", "2.5"),
                ("unit_id", &grams),
                ("cost_per_unit", "0.02"),
                ("received_on", "2026-11-02"),
                ("expires_on", ""),
            ],
        )
        .await;
    assert_eq!(received.status, 303, "{}", received.html);
    assert_eq!(lots(app.items(&token, "/api/v1/lots?limit=200").await), 1);
    let lot = app
        .items(&token, "/api/v1/lots?limit=200")
        .await
        .into_iter()
        .find(|lot| lot["lot_number"] == "L-9")
        .and_then(|lot| lot["id"].as_i64())
        .expect("the lot");
    let adjusted = owner
        .post(
            &format!("/lots/{lot}/adjust"),
            &[
                ("kind", "spoilage"),
                ("quantity", "0.5"),
                ("reason", "spilled"),
            ],
        )
        .await;
    assert_eq!(adjusted.status, 303, "{}", adjusted.html);
    let unknown_kind = owner
        .post(
            &format!("/lots/{lot}/adjust"),
            &[("kind", "theft"), ("quantity", "0.5"), ("reason", "x")],
        )
        .await;
    assert_eq!(unknown_kind.status, 422);
    assert!(unknown_kind.html.contains("choose the kind"));
    let page = owner.get(&format!("/ingredients/{ingredient}")).await;
    assert!(page.html.contains("L-9"));
    let created = owner
        .post("/ingredients", &[("name", ""), ("stock_unit_id", &grams)])
        .await;
    assert_eq!(created.status, 422, "{}", created.html);
    assert!(
        created.html.contains(r#"id="name-error""#),
        "{}",
        created.html
    );
    let not_a_form = owner
        .client
        .post(format!("{}/batches", app.base))
        .header(COOKIE, owner.cookie_header())
        .header(CONTENT_TYPE, "application/json")
        .body("{}")
        .send()
        .await
        .expect("answered");
    assert_eq!(not_a_form.status(), 415);
}

async fn trace_pages_are_scoped(app: &Served) {
    let mut acme = Visitor::signed_in(app, "owner@acme.example").await;
    let birch = app.login("owner@birch.example").await;
    let batch = app.items(&birch, "/api/v1/batches").await[0]["id"]
        .as_i64()
        .expect("Birch's batch");
    let lot = app.items(&birch, "/api/v1/lots").await[0]["id"]
        .as_i64()
        .expect("a lot of Birch's");
    for path in [
        format!("/batches/{batch}/trace"),
        format!("/lots/{lot}/trace"),
        format!("/batches/{batch}"),
        format!("/batches/{batch}/finish"),
    ] {
        let page = if path.ends_with("finish") {
            acme.post(&path, &[("sku_id", "1"), ("yield_quantity", "1")])
                .await
        } else {
            acme.get(&path).await
        };
        assert_eq!(page.status, 404, "{path}: {}", page.html);
    }
    let token = app.login("owner@acme.example").await;
    let own = app.items(&token, "/api/v1/batches").await[0]["id"]
        .as_i64()
        .expect("Acme's batch");
    let traced = acme.get(&format!("/batches/{own}/trace")).await;
    assert_eq!(traced.status, 200);
    assert!(
        traced.html.contains(" g") || traced.html.contains(" ml"),
        "quantities carry units"
    );
}

async fn a_member_of_two_organizations_switches_between_them(app: &Served) {
    // Birch's owner invites Acme's manager, who accepts as themself.
    let birch = app.login("owner@birch.example").await;
    let invited = app
        .post(
            &birch,
            "/api/v1/invitations",
            serde_json::json!({"email": "manager@acme.example"}),
        )
        .await;
    assert_eq!(invited.status, 201, "{}", invited.body);
    let message = app.outbox.sent().pop().expect("a message");
    let token = message
        .body
        .split_whitespace()
        .find(|word| word.len() >= 32 && word.chars().all(|c| c.is_ascii_hexdigit()))
        .expect("the token in the message")
        .to_owned();
    let manager = app.login("manager@acme.example").await;
    let joined = app
        .post(
            &manager,
            "/api/v1/auth/accept-invitation",
            serde_json::json!({"token": token, "name": "Manager"}),
        )
        .await;
    assert_eq!(joined.status, 201, "{}", joined.body);
    let birch_org = app.get(&birch, "/api/v1/me").await.body["organization_id"]
        .as_i64()
        .expect("Birch")
        .to_string();

    let mut visitor = Visitor::signed_in(app, "manager@acme.example").await;
    let home = visitor.get("/").await;
    assert!(
        home.html.contains(r#"href="/organizations""#),
        "the switcher is offered"
    );
    let list = visitor.get("/organizations").await;
    assert_eq!(list.status, 200, "{}", list.html);
    assert!(list.html.contains("Acme Soap Co") && list.html.contains("Birch Candle Works"));
    let chosen = visitor
        .post("/organizations", &[("organization_id", &birch_org)])
        .await;
    assert_eq!(chosen.status, 303, "{}", chosen.html);
    assert!(visitor.get("/").await.html.contains("Birch Candle Works"));
    // Only among their own: a third organization's id is refused.
    let refused = visitor
        .post("/organizations", &[("organization_id", "999999")])
        .await;
    assert_eq!(refused.status, 403, "{}", refused.html);
    assert!(visitor.get("/").await.html.contains("Birch Candle Works"));
}

crate::served!(
    a_member_of_two_organizations_switches_between_them,
    pages_are_pages_and_never_framed,
    forms_show_their_errors_next_to_their_fields,
    trace_pages_are_scoped,
    the_team_is_managed_in_pages,
    only_the_owner_reads_the_audit_log_and_hands_over,
    a_developer_chooses_an_organization,
    every_page_answers_its_owner,
    nobody_signed_in_is_sent_to_sign_in,
    sign_in_refuses_wrong_passwords_and_foreign_forms,
    the_daily_flow_runs_in_pages,
    forms_without_the_token_change_nothing,
    another_organizations_ids_are_refused,
    a_viewer_sees_no_forms_and_is_refused,
    a_lapsed_subscription_names_the_owner,
    signing_out_ends_the_session,
);
