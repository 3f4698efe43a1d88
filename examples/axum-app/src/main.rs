//! tenancy-axum in one small app: notes of two organizations, a custom
//! role that may write them, `Require<P>` on the routes, and the billing
//! lockout. Run it with `cargo run -p axum-app`; it prints the sessions to
//! try with curl. Its test drives the same router.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Duration, Utc};
use sqlx::SqlitePool;
use tenancy_access::{self as access, NewUser};
use tenancy_axum::{Problem, Require, TenancyLayer};
use tenancy_core::{Id, OrgId, Scope, Scoped, SystemScope};

tenancy_access::permissions! {
    /// What the app's users may be allowed to do.
    pub NotePermissions {
        /// Read the organization's notes.
        ReadNotes: "notes.read", category "notes";
        /// Write notes.
        WriteNotes: "notes.write", category "notes";
    }
}

/// A note of one organization.
#[derive(Debug, Clone, serde::Serialize, Scoped)]
#[tenancy(table = "notes")]
struct Note {
    id: Id<Note>,
    organization_id: OrgId,
    body: String,
}

async fn list(
    State(pool): State<SqlitePool>,
    scope: Scope,
    _: Require<ReadNotes>,
) -> Result<Json<Vec<Note>>, Problem> {
    Ok(Json(Note::select(&scope).fetch_all(&pool).await?))
}

async fn write(
    State(pool): State<SqlitePool>,
    scope: Scope,
    _: Require<WriteNotes>,
    Json(body): Json<String>,
) -> Result<(StatusCode, Json<Note>), Problem> {
    let note = Note::insert(&scope, NewNote { body })
        .execute(&pool)
        .await?;
    Ok((StatusCode::CREATED, Json(note)))
}

/// The app: `/notes` behind the tenancy layer.
fn app(pool: SqlitePool) -> Router {
    Router::new()
        .route("/notes", get(list).post(write))
        .layer(TenancyLayer::new(pool.clone()))
        .with_state(pool)
}

/// Who is who in the demo, with a session each.
struct Demo {
    soapworks_owner: String,
    soapworks_baker: String,
    candleco_member: String,
}

async fn demo(pool: &SqlitePool) -> Result<Demo, Box<dyn std::error::Error>> {
    let system = SystemScope::new("axum-app demo data")?;
    access::schema::apply(pool).await?;
    sqlx::query("CREATE TABLE notes (id INTEGER PRIMARY KEY, organization_id INTEGER NOT NULL REFERENCES organizations (id), body TEXT NOT NULL)")
        .execute(pool)
        .await?;
    access::sync_permissions(pool, &system, NotePermissions::ALL).await?;
    let mut sessions = Vec::new();
    for (org_name, people) in [("Soapworks", ["ada", "bob"]), ("Candle Co", ["cy", "dee"])] {
        let mut users = Vec::new();
        for name in people {
            let new = NewUser {
                email: format!("{name}@example.com"),
                name: name.into(),
                is_developer: false,
            };
            users.push(access::create_user(pool, &system, new).await?);
        }
        let org = access::create_organization(pool, &system, org_name, users[0].user_id(), "free")
            .await?;
        let owner = Scope::for_member(org, users[0].user_id());
        let member = access::add_member(pool, &system, org, users[1].user_id()).await?;
        // A custom role of this organization: bakers read and write notes.
        let baker = access::create_role(pool, &owner, "baker").await?;
        access::grant::<ReadNotes, _, _>(pool, &owner, baker.id).await?;
        access::grant::<WriteNotes, _, _>(pool, &owner, baker.id).await?;
        if org_name == "Soapworks" {
            access::assign_role(pool, &owner, member.id, baker.id).await?;
        }
        Note::insert(
            &owner,
            NewNote {
                body: format!("{org_name}'s first note"),
            },
        )
        .execute(pool)
        .await?;
        for user in &users {
            let token =
                access::issue_session(pool, user.user_id(), None, Duration::hours(8), Utc::now())
                    .await?;
            sessions.push(token.expose().to_owned());
        }
        if org_name == "Candle Co" {
            // Candle Co stopped paying a month ago: only its owner may act.
            sqlx::query("UPDATE organizations SET subscription_status = 'canceled', delinquent_since = $1 WHERE id = $2")
                .bind(Utc::now() - Duration::days(30))
                .bind(org)
                .execute(pool)
                .await?;
        }
    }
    Ok(Demo {
        soapworks_owner: sessions[0].clone(),
        soapworks_baker: sessions[1].clone(),
        candleco_member: sessions[3].clone(),
    })
}

async fn database() -> Result<SqlitePool, sqlx::Error> {
    // The library's pool closes a connection handed back dirty. One
    // connection: each connection to `sqlite::memory:` is its own database.
    tenancy_core::pool::options()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pool = database().await?;
    let demo = demo(&pool).await?;
    let addr = std::env::var("AXUM_APP_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("axum-app listens on http://{addr}; try:");
    println!(
        "  curl -H 'Authorization: Bearer {}' http://{addr}/notes",
        demo.soapworks_baker
    );
    println!(
        "  curl -H 'Authorization: Bearer {}' -H 'Content-Type: application/json' -d '\"hello\"' http://{addr}/notes",
        demo.soapworks_owner
    );
    println!(
        "  curl -H 'Authorization: Bearer {}' http://{addr}/notes   # billing lapsed: 402",
        demo.candleco_member
    );
    axum::serve(listener, app(pool)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, header};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    async fn get(
        app: &Router,
        token: &str,
        method: &str,
        body: &str,
    ) -> (StatusCode, serde_json::Value) {
        let mut request = Request::builder()
            .method(method)
            .uri("/notes")
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        if method == "POST" {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let response = app
            .clone()
            .oneshot(request.body(Body::from(body.to_owned())).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    #[tokio::test]
    async fn the_demo_keeps_organizations_apart_and_locks_out_lapsed_members() {
        let pool = database().await.unwrap();
        let demo = demo(&pool).await.unwrap();
        let app = app(pool);

        let (status, notes) = get(&app, &demo.soapworks_baker, "GET", "").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            notes.as_array().map(Vec::len),
            Some(1),
            "Soapworks sees its own note only: {notes}"
        );

        let (status, created) =
            get(&app, &demo.soapworks_baker, "POST", "\"from the baker\"").await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "the custom role writes notes: {created}"
        );

        let (status, problem) = get(&app, &demo.candleco_member, "GET", "").await;
        assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
        assert_eq!(problem["code"], "billing_lapsed");
        assert_eq!(problem["contact"], "cy@example.com");
    }
}
