//! The router, driven with `oneshot`. Compiled once per backend: `Db` and
//! `db()` come from the parent module.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Duration, Utc};
use http_body_util::BodyExt;
use sqlx::Pool;
use tenancy_access::{self as access, AuditQuery, NewUser, User};
use tenancy_core::{Id, OrgId, Scope, Scoped, SystemScope};
use tower::ServiceExt;

use super::{Db, db};
use crate::app::{
    NewNote, Note, NotePermissions, ReadNotes, SECRET, router, router_behind_a_gateway,
    router_with_cookies, router_without_layer,
};

fn system() -> SystemScope {
    SystemScope::new("router suite").expect("a reason")
}

/// A response, read.
struct Answer {
    status: StatusCode,
    content_type: String,
    body: serde_json::Value,
}

impl Answer {
    /// Asserts a problem+json answer with this status and code.
    fn is_problem(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(
            self.content_type, "application/problem+json",
            "{}",
            self.body
        );
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert_eq!(self.body["status"], status.as_u16());
        assert!(
            self.body["title"].is_string() && self.body["detail"].is_string(),
            "{}",
            self.body
        );
    }
}

async fn call(
    app: &Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    org: Option<&str>,
    body: Option<serde_json::Value>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    if let Some(org) = org {
        request = request.header("x-organization-id", org);
    }
    let request = match body {
        Some(body) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    };
    let response = app.clone().oneshot(request.unwrap()).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Answer {
        status,
        content_type,
        body,
    }
}

/// Two organizations, a reader in the first, a developer and a stranger,
/// each with a session.
struct World {
    app: Router,
    org: OrgId,
    other: OrgId,
    owner_email: String,
    owner: String,
    reader: String,
    reader_assignment: Id<access::RoleAssignment>,
    developer: String,
    stranger: String,
    other_note: Id<Note>,
}

async fn session(pool: &Pool<Db>, user: &User) -> String {
    access::issue_session(pool, user.user_id(), None, Duration::hours(1), Utc::now())
        .await
        .unwrap()
        .expose()
        .to_owned()
}

async fn user(pool: &Pool<Db>, email: &str, is_developer: bool) -> User {
    let new = NewUser {
        email: email.into(),
        name: email.into(),
        is_developer,
    };
    access::create_user(pool, &system(), new).await.unwrap()
}

async fn world(pool: &Pool<Db>) -> World {
    access::sync_permissions(pool, &system(), NotePermissions::ALL)
        .await
        .unwrap();
    let owner = user(pool, "owner@soapworks.test", false).await;
    let reader = user(pool, "reader@soapworks.test", false).await;
    let developer = user(pool, "dev@tenancy.test", true).await;
    let stranger = user(pool, "stranger@nowhere.test", false).await;
    let other_owner = user(pool, "owner@candleco.test", false).await;
    let org = access::create_organization(pool, &system(), "Soapworks", owner.user_id(), "free")
        .await
        .unwrap();
    let other =
        access::create_organization(pool, &system(), "Candle Co", other_owner.user_id(), "free")
            .await
            .unwrap();
    let as_owner = Scope::for_member(org, owner.user_id());
    let membership = access::add_member(pool, &system(), org, reader.user_id())
        .await
        .unwrap();
    let role = access::create_role(pool, &as_owner, "reader")
        .await
        .unwrap();
    access::grant::<ReadNotes, _, _>(pool, &as_owner, role.id)
        .await
        .unwrap();
    let assignment = access::assign_role(pool, &as_owner, membership.id, role.id)
        .await
        .unwrap();
    Note::insert(
        &as_owner,
        NewNote {
            body: "lavender".into(),
        },
    )
    .execute(pool)
    .await
    .unwrap();
    let other_scope = Scope::for_member(other, other_owner.user_id());
    let other_note = Note::insert(
        &other_scope,
        NewNote {
            body: "beeswax".into(),
        },
    )
    .execute(pool)
    .await
    .unwrap();
    World {
        app: router(pool.clone()),
        org,
        other,
        owner_email: owner.email.clone(),
        owner: session(pool, &owner).await,
        reader: session(pool, &reader).await,
        reader_assignment: assignment.id,
        developer: session(pool, &developer).await,
        stranger: session(pool, &stranger).await,
        other_note: other_note.id,
    }
}

#[tokio::test]
async fn every_refusal_is_problem_json_with_a_stable_code() {
    let Some(db) = db().await else { return };
    let w = world(&db).await;
    let app = &w.app;
    let other = w.other.to_string();

    call(app, "GET", "/notes", None, None, None)
        .await
        .is_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    call(app, "GET", "/notes", Some("not-a-session"), None, None)
        .await
        .is_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
    let basic = Request::builder()
        .uri("/notes")
        .header(header::AUTHORIZATION, "Basic dXNlcjpwYXNz")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        app.clone().oneshot(basic).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    let listed = call(app, "GET", "/notes", Some(&w.reader), None, None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(
        listed.body.as_array().map(Vec::len),
        Some(1),
        "own notes only: {}",
        listed.body
    );

    let write = call(
        app,
        "POST",
        "/notes",
        Some(&w.reader),
        None,
        Some(serde_json::json!("new")),
    )
    .await;
    write.is_problem(StatusCode::FORBIDDEN, "missing_permission");
    assert!(
        write.body["detail"]
            .as_str()
            .unwrap()
            .contains("notes.write")
    );

    call(app, "GET", "/notes", Some(&w.reader), Some(&other), None)
        .await
        .is_problem(StatusCode::FORBIDDEN, "not_a_member");
    call(
        app,
        "GET",
        "/notes",
        Some(&w.reader),
        Some("soapworks"),
        None,
    )
    .await
    .is_problem(StatusCode::BAD_REQUEST, "invalid_organization");
    call(app, "GET", "/notes", Some(&w.stranger), None, None)
        .await
        .is_problem(StatusCode::FORBIDDEN, "no_organization");

    let foreign = call(
        app,
        "GET",
        &format!("/notes/{}", w.other_note),
        Some(&w.reader),
        None,
        None,
    )
    .await;
    foreign.is_problem(StatusCode::NOT_FOUND, "not_found");
    assert!(
        !foreign.body.to_string().contains("notes\""),
        "no table name: {}",
        foreign.body
    );
    let absent = call(app, "GET", "/notes/987654", Some(&w.reader), None, None).await;
    assert_eq!(
        absent.body, foreign.body,
        "another org's id looks exactly like a missing one"
    );

    let created = call(
        app,
        "POST",
        "/notes",
        Some(&w.owner),
        None,
        Some(serde_json::json!("rose")),
    )
    .await;
    assert_eq!(
        created.status,
        StatusCode::CREATED,
        "the owner holds every permission: {}",
        created.body
    );
    assert_eq!(created.body["organization_id"], w.org.get());
}

#[tokio::test]
async fn a_router_without_the_layer_answers_500_and_never_panics() {
    let Some(db) = db().await else { return };
    let w = world(&db).await;
    let app = router_without_layer(db.pool().clone());
    call(&app, "GET", "/notes", Some(&w.reader), None, None)
        .await
        .is_problem(StatusCode::INTERNAL_SERVER_ERROR, "internal");
}

async fn switches(pool: &Pool<Db>, org: OrgId) -> usize {
    let scope = Scope::for_job(org, "router suite");
    access::audit_log(pool, &scope, &AuditQuery::new().limit(500))
        .await
        .unwrap()
        .events
        .iter()
        .filter(|e| e.event == "developer.org_switch")
        .count()
}

#[tokio::test]
async fn a_developer_acts_in_the_organization_it_selects_and_the_switch_is_audited() {
    let Some(db) = db().await else { return };
    let w = world(&db).await;
    let (org, other) = (w.org.to_string(), w.other.to_string());
    let first = call(
        &w.app,
        "GET",
        "/notes",
        Some(&w.developer),
        Some(&org),
        None,
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body[0]["body"], "lavender");
    call(
        &w.app,
        "GET",
        "/notes",
        Some(&w.developer),
        Some(&org),
        None,
    )
    .await;
    assert_eq!(
        switches(&db, w.org).await,
        1,
        "staying in one organization is one switch"
    );
    let second = call(
        &w.app,
        "GET",
        "/notes",
        Some(&w.developer),
        Some(&other),
        None,
    )
    .await;
    assert_eq!(second.body[0]["body"], "beeswax");
    assert_eq!(switches(&db, w.other).await, 1);
    // Without the header, the session's organization is kept.
    let kept = call(&w.app, "GET", "/notes", Some(&w.developer), None, None).await;
    assert_eq!(kept.body[0]["body"], "beeswax");
    let me = call(&w.app, "GET", "/me", Some(&w.developer), None, None).await;
    assert_eq!(me.body["developer"], true);
}

#[tokio::test]
async fn a_revoked_role_fails_on_the_very_next_request() {
    let Some(db) = db().await else { return };
    let w = world(&db).await;
    assert_eq!(
        call(&w.app, "GET", "/notes", Some(&w.reader), None, None)
            .await
            .status,
        StatusCode::OK
    );
    let owner_scope = Scope::for_job(w.org, "router suite");
    access::revoke_role(db.pool(), &owner_scope, w.reader_assignment)
        .await
        .unwrap();
    call(&w.app, "GET", "/notes", Some(&w.reader), None, None)
        .await
        .is_problem(StatusCode::FORBIDDEN, "missing_permission");
    access::revoke_session(db.pool(), &w.reader, Utc::now())
        .await
        .unwrap();
    call(&w.app, "GET", "/notes", Some(&w.reader), None, None)
        .await
        .is_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
}

#[tokio::test]
async fn a_deactivated_organization_refuses_all_but_developers() {
    let Some(db) = db().await else { return };
    let w = world(&db).await;
    access::set_organization_active(db.pool(), &system(), w.org, false)
        .await
        .unwrap();
    for token in [&w.owner, &w.reader] {
        call(&w.app, "GET", "/notes", Some(token), None, None)
            .await
            .is_problem(StatusCode::FORBIDDEN, "organization_inactive");
    }
    let org = w.org.to_string();
    let developer = call(
        &w.app,
        "GET",
        "/notes",
        Some(&w.developer),
        Some(&org),
        None,
    )
    .await;
    assert_eq!(developer.status, StatusCode::OK);
}

#[tokio::test]
async fn a_password_sign_in_answers_one_way_for_every_wrong_login() {
    let Some(db) = db().await else { return };
    let w = world(&db).await;
    let reader = access::user_by_email(db.pool(), &system(), "reader@soapworks.test")
        .await
        .unwrap();
    access::set_password(
        db.pool(),
        &system(),
        &crate::app::passwords(),
        reader.user_id(),
        "a reader's secret",
    )
    .await
    .unwrap();
    let login =
        |email: &str, password: &str| serde_json::json!({ "email": email, "password": password });
    let signed_in = call(
        &w.app,
        "POST",
        "/login",
        None,
        None,
        Some(login("reader@soapworks.test", "a reader's secret")),
    )
    .await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    let token = signed_in.body.as_str().unwrap().to_owned();
    assert_eq!(
        call(&w.app, "GET", "/notes", Some(&token), None, None)
            .await
            .status,
        StatusCode::OK
    );
    let wrong = call(
        &w.app,
        "POST",
        "/login",
        None,
        None,
        Some(login("reader@soapworks.test", "guess")),
    )
    .await;
    let unknown = call(
        &w.app,
        "POST",
        "/login",
        None,
        None,
        Some(login("nobody@soapworks.test", "guess")),
    )
    .await;
    wrong.is_problem(StatusCode::UNAUTHORIZED, "invalid_login");
    unknown.is_problem(StatusCode::UNAUTHORIZED, "invalid_login");
    assert_eq!(
        wrong.body, unknown.body,
        "nothing tells which emails have accounts"
    );
}

async fn set_status(pool: &Pool<Db>, org: OrgId, status: &str) {
    sqlx::query(
        "UPDATE organizations SET subscription_status = $1, delinquent_since = $2 WHERE id = $3",
    )
    .bind(status)
    .bind(Utc::now() - Duration::days(60))
    .bind(org)
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn once_billing_lapses_only_the_owner_may_sign_in_or_act() {
    let Some(db) = db().await else { return };
    let w = world(&db).await;
    let org = w.org.to_string();
    set_status(&db, w.org, "canceled").await;

    let lapsed = call(&w.app, "GET", "/notes", Some(&w.reader), None, None).await;
    lapsed.is_problem(StatusCode::PAYMENT_REQUIRED, "billing_lapsed");
    assert_eq!(lapsed.body["contact"], w.owner_email.as_str());
    assert!(
        lapsed.body["detail"]
            .as_str()
            .unwrap()
            .contains("contact its owner")
    );
    assert_eq!(
        call(&w.app, "GET", "/notes", Some(&w.owner), None, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        call(
            &w.app,
            "GET",
            "/notes",
            Some(&w.developer),
            Some(&org),
            None
        )
        .await
        .status,
        StatusCode::OK,
        "developers are never locked out"
    );

    let reader_id =
        sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE email = 'reader@soapworks.test'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    let owner_id =
        sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE email = 'owner@soapworks.test'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    call(
        &w.app,
        "POST",
        "/sign-in",
        None,
        None,
        Some(serde_json::json!(reader_id)),
    )
    .await
    .is_problem(StatusCode::PAYMENT_REQUIRED, "billing_lapsed");
    let signed_in = call(
        &w.app,
        "POST",
        "/sign-in",
        None,
        None,
        Some(serde_json::json!(owner_id)),
    )
    .await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    let token = signed_in.body.as_str().unwrap().to_owned();
    assert_eq!(
        call(&w.app, "GET", "/notes", Some(&token), None, None)
            .await
            .status,
        StatusCode::OK
    );

    set_status(&db, w.org, "active").await;
    assert_eq!(
        call(&w.app, "GET", "/notes", Some(&w.reader), None, None)
            .await
            .status,
        StatusCode::OK
    );
    let logins: Vec<String> = access::audit_log(
        db.pool(),
        &Scope::for_job(w.org, "router suite"),
        &AuditQuery::new(),
    )
    .await
    .unwrap()
    .events
    .into_iter()
    .map(|e| e.event)
    .filter(|e| e.starts_with("login."))
    .collect();
    assert_eq!(logins, ["login.succeeded", "login.failed"]);
}

fn signed(body: &str, secret: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let t = Utc::now().timestamp();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

async fn post_webhook(app: &Router, body: &str, signature: &str) -> Answer {
    let request = Request::builder()
        .method("POST")
        .uri("/stripe/webhook")
        .header("stripe-signature", signature)
        .body(Body::from(body.to_owned()))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        content_type,
        body: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    }
}

#[tokio::test]
async fn the_stripe_endpoint_verifies_and_applies_each_event_once() {
    let Some(db) = db().await else { return };
    let w = world(&db).await;
    access::billing::link_stripe_customer(db.pool(), &system(), w.org, "cus_9")
        .await
        .unwrap();
    let body = serde_json::json!({
        "id": "evt_1",
        "type": "customer.subscription.updated",
        "created": Utc::now().timestamp(),
        "data": { "object": {
            "id": "sub_9", "customer": "cus_9", "status": "active", "metadata": { "tier": "team" }
        } },
    })
    .to_string();

    let applied = post_webhook(&w.app, &body, &signed(&body, SECRET)).await;
    assert_eq!(
        (applied.status, applied.body["outcome"].as_str()),
        (StatusCode::OK, Some("applied"))
    );
    let again = post_webhook(&w.app, &body, &signed(&body, SECRET)).await;
    assert_eq!(
        (again.status, again.body["outcome"].as_str()),
        (StatusCode::OK, Some("duplicate"))
    );
    post_webhook(&w.app, &body, &signed(&body, "whsec_forged"))
        .await
        .is_problem(StatusCode::BAD_REQUEST, "invalid_signature");
    post_webhook(&w.app, &body, "")
        .await
        .is_problem(StatusCode::BAD_REQUEST, "invalid_signature");
    let garbage = "{\"id\": 1}";
    post_webhook(&w.app, garbage, &signed(garbage, SECRET))
        .await
        .is_problem(StatusCode::BAD_REQUEST, "invalid_payload");
    let state = access::billing::billing_state(db.pool(), &Scope::for_job(w.org, "router suite"))
        .await
        .unwrap();
    assert_eq!(
        (state.status.map(|s| s.as_str()), state.tier.as_str()),
        (Some("active"), "team")
    );
}

#[tokio::test]
async fn a_developer_behind_a_custom_authenticator_is_audited_too() {
    let Some(db) = db().await else { return };
    let w = world(&db).await;
    let app = router_behind_a_gateway(db.pool().clone());
    let developer: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'dev@tenancy.test'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    let request = |org: &str| {
        Request::builder()
            .uri("/notes")
            .header("x-verified-user", developer.to_string())
            .header("x-organization-id", org)
            .body(Body::empty())
            .unwrap()
    };
    let answered = app
        .clone()
        .oneshot(request(&w.org.to_string()))
        .await
        .unwrap();
    assert_eq!(answered.status(), StatusCode::OK);
    assert_eq!(
        switches(&db, w.org).await,
        1,
        "without a session every selection is recorded"
    );
    let missing = app.clone().oneshot(request("987654")).await.unwrap();
    assert_eq!(
        missing.status(),
        StatusCode::FORBIDDEN,
        "an organization that does not exist"
    );
}

#[tokio::test]
async fn an_event_for_a_customer_not_yet_linked_asks_stripe_to_retry() {
    let Some(db) = db().await else { return };
    let w = world(&db).await;
    let body = serde_json::json!({
        "id": "evt_early",
        "type": "customer.subscription.created",
        "created": Utc::now().timestamp(),
        "data": { "object": { "id": "sub_7", "customer": "cus_7", "status": "active", "metadata": {} } },
    })
    .to_string();
    post_webhook(&w.app, &body, &signed(&body, SECRET))
        .await
        .is_problem(StatusCode::CONFLICT, "unknown_customer");
    access::billing::link_stripe_customer(db.pool(), &system(), w.org, "cus_7")
        .await
        .unwrap();
    let retried = post_webhook(&w.app, &body, &signed(&body, SECRET)).await;
    assert_eq!(retried.body["outcome"], "applied");
}

#[tokio::test]
async fn a_session_cookie_signs_in_as_the_bearer_token_does() {
    let Some(db) = db().await else { return };
    let w = world(&db).await;
    let app = router_with_cookies(db.pool().clone());
    let with = |cookie: Option<String>, bearer: Option<&str>| {
        let mut request = Request::builder().uri("/notes");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        if let Some(bearer) = bearer {
            request = request.header(header::AUTHORIZATION, format!("Bearer {bearer}"));
        }
        request.body(Body::empty()).unwrap()
    };
    let read = |response: axum::response::Response| async move {
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_default(),
        )
    };
    let (status, notes) = read(
        app.clone()
            .oneshot(with(Some(format!("theme=dark; session={}", w.owner)), None))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{notes}");
    assert!(
        notes
            .as_array()
            .is_some_and(|notes| notes.iter().all(|note| note["id"] != w.other_note.get())),
        "only the organization's notes: {notes}"
    );
    // The cookie router reads cookies only: a bearer token is no one.
    let (status, body) = read(
        app.clone()
            .oneshot(with(None, Some(&w.owner)))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    for bad in [
        "session=not-a-token".to_owned(),
        format!("session={}", "a".repeat(300)),
    ] {
        let (status, body) = read(
            app.clone()
                .oneshot(with(Some(bad.clone()), None))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_credentials")),
            "{bad}"
        );
    }
    let (status, _) = read(
        app.clone()
            .oneshot(with(Some("session=".into()), None))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
