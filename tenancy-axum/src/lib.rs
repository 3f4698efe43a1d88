//! axum integration for `tenancy-core`.
//!
//! Handlers that call scoped operations return `Result<_, Problem>` and use
//! `?` on [`tenancy_core::Error`]: each error becomes an
//! `application/problem+json` response (RFC 9457) with the right status and a
//! stable machine-readable `code`, and never with SQL, driver messages or
//! constraint names, which go to the log instead.
//!
//! ```
//! use axum::extract::{Path, State};
//! use axum::{Json, Router, routing::get};
//! use sqlx::SqlitePool;
//! use tenancy_axum::Problem;
//! use tenancy_core::{Id, OrgId, Scope, Scoped};
//!
//! #[derive(Scoped, serde::Serialize)]
//! #[tenancy(table = "recipes")]
//! struct Recipe {
//!     id: Id<Recipe>,
//!     organization_id: OrgId,
//!     name: String,
//! }
//!
//! async fn show(
//!     State(pool): State<SqlitePool>,
//!     Path(id): Path<Id<Recipe>>,
//! ) -> Result<Json<Recipe>, Problem> {
//!     let scope = Scope::for_job(OrgId::new(1), "until the request scope extractor lands");
//!     let recipe = Recipe::find(&scope, id).fetch_one(&pool).await?; // 404 for other orgs' ids
//!     Ok(Json(recipe))
//! }
//!
//! let app: Router<SqlitePool> = Router::new().route("/recipes/{id}", get(show));
//! ```

mod problem;

pub use problem::Problem;
