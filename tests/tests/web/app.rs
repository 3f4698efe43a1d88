//! The app under test: notes of an organization behind the tenancy layer,
//! a sign-in route, and Stripe's webhook beside it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Duration, Utc};
use tenancy_access::billing::BillingPolicy;
use tenancy_access::billing::stripe::WebhookVerifier;
use tenancy_access::{self as access, AccessStore};
use tenancy_axum::{Principal, Problem, Require, SignInRejection, TenancyLayer, stripe_webhook};
use tenancy_core::{Id, OrgId, RowCodec, Scope, Scoped, UserId};

tenancy_access::permissions! {
    /// What the test app's users may be allowed to do.
    pub(crate) NotePermissions {
        /// Read notes.
        ReadNotes: "notes.read", category "notes";
        /// Write notes.
        WriteNotes: "notes.write", category "notes";
    }
}

/// A note of one organization.
#[derive(Debug, Clone, PartialEq, serde::Serialize, Scoped)]
#[tenancy(table = "notes")]
pub(crate) struct Note {
    pub(crate) id: Id<Note>,
    pub(crate) organization_id: OrgId,
    pub(crate) body: String,
}

pub(crate) const SECRET: &str = "whsec_router_suite";

async fn list<DB>(
    State(pool): State<sqlx::Pool<DB>>,
    scope: Scope,
    _: Require<ReadNotes>,
) -> Result<Json<Vec<Note>>, Problem>
where
    DB: AccessStore,
    Note: RowCodec<DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    Ok(Json(Note::select(&scope).fetch_all(&pool).await?))
}

async fn show<DB>(
    State(pool): State<sqlx::Pool<DB>>,
    scope: Scope,
    _: Require<ReadNotes>,
    Path(id): Path<Id<Note>>,
) -> Result<Json<Note>, Problem>
where
    DB: AccessStore,
    Note: RowCodec<DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    Ok(Json(Note::find(&scope, id).fetch_one(&pool).await?))
}

async fn create<DB>(
    State(pool): State<sqlx::Pool<DB>>,
    scope: Scope,
    _: Require<WriteNotes>,
    Json(body): Json<String>,
) -> Result<(StatusCode, Json<Note>), Problem>
where
    DB: AccessStore,
    Note: RowCodec<DB>,
{
    let note = Note::insert(&scope, NewNote { body })
        .execute(&pool)
        .await?;
    Ok((StatusCode::CREATED, Json(note)))
}

async fn me(principal: Principal) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "user": principal.user, "developer": principal.is_developer }))
}

/// The app's own sign-in: it checks the password (here: any), then lets
/// the library refuse lapsed members and start the session.
async fn sign_in<DB: AccessStore>(
    State(pool): State<sqlx::Pool<DB>>,
    Json(user): Json<i64>,
) -> Result<Json<String>, Problem> {
    let token = access::sign_in(
        &pool,
        UserId::new(user),
        None,
        &BillingPolicy::default(),
        Duration::hours(8),
        Utc::now(),
    )
    .await
    .map_err(SignInRejection::from)?;
    Ok(Json(token.expose().to_owned()))
}

/// A password sign-in's body.
#[derive(serde::Deserialize)]
struct Login {
    email: String,
    password: String,
}

/// Cheap costs: the suite tests the routes, not argon2's strength.
pub(crate) fn passwords() -> access::Passwords {
    access::Passwords::new()
        .with_costs(64, 1, 1)
        .expect("costs")
}

/// Signs in with an email and a password.
async fn login<DB: AccessStore>(
    State(pool): State<sqlx::Pool<DB>>,
    Json(login): Json<Login>,
) -> Result<Json<String>, SignInRejection> {
    let attempt = access::PasswordAttempt::new(&login.email, &login.password, "web suite");
    let token = access::sign_in_with_password(
        &pool,
        &passwords(),
        attempt,
        None,
        &BillingPolicy::default(),
        Duration::hours(8),
        Utc::now(),
    )
    .await?;
    Ok(Json(token.expose().to_owned()))
}

/// The routes: notes and `/me` behind the layer, sign-in and Stripe beside.
pub(crate) fn router<DB>(pool: sqlx::Pool<DB>) -> Router
where
    DB: AccessStore,
    Note: RowCodec<DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    let protected = Router::new()
        .route("/notes", get(list::<DB>).post(create::<DB>))
        .route("/notes/{id}", get(show::<DB>))
        .route("/me", get(me))
        .layer(TenancyLayer::new(pool.clone()));
    Router::new()
        .route("/sign-in", post(sign_in::<DB>))
        .route("/login", post(login::<DB>))
        .merge(protected)
        .with_state(pool.clone())
        .nest(
            "/stripe/webhook",
            stripe_webhook(pool, WebhookVerifier::new(SECRET)),
        )
}

/// The notes behind a layer that trusts a gateway's `x-verified-user`.
pub(crate) fn router_behind_a_gateway<DB>(pool: sqlx::Pool<DB>) -> Router
where
    DB: AccessStore,
    Note: RowCodec<DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    let gateway = |parts: &axum::http::request::Parts| {
        let user = parts
            .headers
            .get("x-verified-user")
            .and_then(|v| v.to_str().ok()?.parse().ok());
        async move { Ok(user.map(|id: i64| access::Credential::User(UserId::new(id)))) }
    };
    Router::new()
        .route("/notes", get(list::<DB>))
        .layer(TenancyLayer::new(pool.clone()).with_authenticator(gateway))
        .with_state(pool)
}

/// The notes behind a layer that reads the session from a cookie, as
/// server-rendered pages do.
pub(crate) fn router_with_cookies<DB>(pool: sqlx::Pool<DB>) -> Router
where
    DB: AccessStore,
    Note: RowCodec<DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    Router::new()
        .route("/notes", get(list::<DB>))
        .layer(
            TenancyLayer::new(pool.clone())
                .with_authenticator(tenancy_axum::SessionCookie::new("session")),
        )
        .with_state(pool)
}

/// A router that forgot the layer.
pub(crate) fn router_without_layer<DB>(pool: sqlx::Pool<DB>) -> Router
where
    DB: AccessStore,
    Note: RowCodec<DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    Router::new()
        .route("/notes", get(list::<DB>))
        .with_state(pool)
}

const NOTES_SQLITE: &str = "CREATE TABLE notes (id INTEGER PRIMARY KEY, organization_id INTEGER NOT NULL REFERENCES organizations (id), body TEXT NOT NULL)";
const NOTES_POSTGRES: &str = "CREATE TABLE notes (id BIGINT GENERATED ALWAYS AS IDENTITY, organization_id BIGINT NOT NULL REFERENCES organizations (id), body TEXT NOT NULL, PRIMARY KEY (organization_id, id))";

pub(crate) async fn sqlite_db() -> Option<tenancy_tests::TestDb<sqlx::Sqlite>> {
    let db = tenancy_tests::sqlite().await;
    access::schema::apply(db.pool()).await.unwrap();
    sqlx::raw_sql(NOTES_SQLITE)
        .execute(db.pool())
        .await
        .unwrap();
    Some(db)
}

pub(crate) async fn postgres_db() -> Option<tenancy_tests::TestDb<sqlx::Postgres>> {
    let db = tenancy_tests::postgres().await?;
    access::schema::apply(db.pool()).await.unwrap();
    sqlx::raw_sql(NOTES_POSTGRES)
        .execute(db.pool())
        .await
        .unwrap();
    Some(db)
}
