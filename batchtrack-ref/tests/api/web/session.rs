//! Signing in and out, refusals as pages, and the headers every page carries.

use super::*;

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

crate::served!(
    nobody_signed_in_is_sent_to_sign_in,
    sign_in_refuses_wrong_passwords_and_foreign_forms,
    signing_out_ends_the_session,
    a_lapsed_subscription_names_the_owner,
    pages_are_pages_and_never_framed,
);
