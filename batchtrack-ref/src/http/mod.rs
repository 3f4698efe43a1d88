//! The HTTP API: one router per resource, merged here.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tenancy_axum::Problem;

/// The database BatchTrack runs on.
#[derive(Debug, Clone)]
pub enum Database {
    /// An embedded SQLite file.
    Sqlite(sqlx::SqlitePool),
    /// A PostgreSQL server.
    Postgres(sqlx::PgPool),
}

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub database: Database,
}

/// The application's routes.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// The body of `GET /health`.
#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    database: &'static str,
}

/// Answers 200 once the database answers a trivial query.
async fn health(State(state): State<AppState>) -> Result<Json<Health>, Problem> {
    let result = match &state.database {
        Database::Sqlite(pool) => sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .map(|_| "sqlite"),
        Database::Postgres(pool) => sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .map(|_| "postgres"),
    };
    match result {
        Ok(database) => Ok(Json(Health {
            status: "ok",
            database,
        })),
        Err(error) => Err(tenancy_core::Error::Database(error).into()),
    }
}
