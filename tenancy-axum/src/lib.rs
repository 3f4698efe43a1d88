//! axum integration for `tenancy-core`: one layer, and handlers that name
//! what they need in their signatures.
//!
//! ```
//! use axum::{Router, routing::get};
//! use tenancy_axum::{Require, TenancyLayer};
//! use tenancy_core::Scope;
//!
//! tenancy_access::permissions! {
//!     pub Permissions {
//!         /// Create and edit recipes.
//!         EditRecipes: "recipes.edit", category "recipes";
//!     }
//! }
//!
//! async fn edit(scope: Scope, _: Require<EditRecipes>) -> String {
//!     format!("editing for {:?}", scope.org())
//! }
//!
//! fn app(pool: sqlx::SqlitePool) -> Router {
//!     Router::new()
//!         .route("/recipes/edit", get(edit))
//!         .layer(TenancyLayer::new(pool))
//! }
//! ```
//!
//! [`TenancyLayer`] authenticates every request (session tokens by
//! default, or any [`Authenticator`]), reads its principal, organization,
//! permissions and billing state in one statement (or from a
//! [`ContextCache`](tenancy_access::ContextCache) after one indexed
//! check that no access table changed), refuses members of other
//! organizations and, once billing lapsed, everyone but the owner. The
//! request's [`Scope`](tenancy_core::Scope) (an extractor of
//! `tenancy-core`), the [`Principal`] and [`Require<P>`] are then
//! extractors. Every refusal is an `application/problem+json` response
//! ([`Problem`]) with a stable `code` and no internal detail:
//!
//! | status | code | when |
//! |---|---|---|
//! | 400 | `invalid_organization` | the organization header is not an id |
//! | 401 | `unauthenticated` | nobody is signed in |
//! | 401 | `invalid_credentials` | unknown, expired or revoked token |
//! | 401 | `invalid_login` | a password sign-in with a wrong email or password ([`SignInRejection`]) |
//! | 402 | `billing_lapsed` | billing lapsed and the principal is not the owner |
//! | 403 | `not_a_member` | the principal named an organization it does not belong to |
//! | 403 | `organization_inactive` | the organization was deactivated (developers pass) |
//! | 403 | `no_organization` | the principal belongs to no organization |
//! | 403 | `missing_permission` | [`Require<P>`] and the principal lacks `P` |
//! | 403 | `forbidden` | the organization may not write this row (a system row) |
//! | 404 | `not_found` | an id unknown to the organization (another's included) |
//! | 409 | `conflict` | a duplicate, a row still in use, or a change committed meanwhile |
//! | 422 | `invalid` | a value or reference the organization may not use (the field named) |
//! | 500 | `internal` | the database failed, or the layer is missing (logged with the fix) |
//!
//! Stripe's webhook endpoint is [`stripe_webhook`]. Server-rendered pages
//! sign in with a cookie ([`SessionCookie`]) and protect their forms with
//! [`csrf_token`] and [`csrf_matches`].

mod authn;
mod cookie;
mod extract;
mod layer;
mod rejection;
mod stripe;

pub use authn::{Authenticator, BearerToken};
pub use cookie::{SessionCookie, cookie_value, csrf_matches, csrf_token};
pub use extract::{Principal, Require};
pub use layer::{ORGANIZATION_HEADER, Tenancy, TenancyLayer};
pub use rejection::{
    AdmissionRejection, BillingLapsed, InvalidCredentials, InvalidLogin, InvalidOrganization,
    MissingPermission, NotAMember, OrganizationInactive, PrincipalRejection, RequireRejection,
    SignInRejection,
};
pub use stripe::stripe_webhook;
pub use tenancy_core::http::Problem;
