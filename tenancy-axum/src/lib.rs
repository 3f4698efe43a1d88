//! axum integration for `tenancy-core`.
//!
//! Handlers that call scoped operations return `Result<_, Problem>` and use
//! `?` on [`tenancy_core::Error`]: each error becomes an
//! `application/problem+json` response (RFC 9457) with the right status and a
//! stable machine-readable `code`, and never with SQL, driver messages or
//! constraint names, which go to the log instead.
//!
//! ```
//! use axum::Json;
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
//! /// The body of `GET /recipes/{id}`: a recipe of another organization is a
//! /// 404 problem, exactly like one that does not exist.
//! async fn show(
//!     pool: &sqlx::SqlitePool,
//!     scope: &Scope,
//!     id: Id<Recipe>,
//! ) -> Result<Json<Recipe>, Problem> {
//!     let recipe = Recipe::find(scope, id).fetch_one(pool).await?;
//!     Ok(Json(recipe))
//! }
//! ```

mod problem;

pub use problem::Problem;
