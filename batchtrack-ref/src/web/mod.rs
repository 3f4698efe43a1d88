//! The web app: BatchTrack's daily flows as server-rendered pages, for
//! people on the production floor, on the same domain services and the
//! same tenancy layer as the API.
//!
//! What changes from the API is how a browser proves who it is and what
//! it meant to do:
//! - the session token is a cookie ([`SESSION_COOKIE`]: `HttpOnly`,
//!   `SameSite=Lax`, `Secure` when served over TLS), read by the tenancy
//!   layer with [`SessionCookie`];
//! - every form that changes something carries a CSRF token derived from
//!   the session ([`tenancy_axum::csrf_token`]), checked before anything
//!   is read from the form ([`forms::Form`]); the sign-in form, before any
//!   session, is keyed by a random cookie of its own;
//! - refusals are pages: nobody signed in goes to the sign-in page, a
//!   lapsed subscription shows whom to contact (402), the rest say what
//!   went wrong with the status the API would answer ([`pages`]).
//!
//! Every list and dropdown is read through the request's `Scope`; an id
//! of another organization in a form is refused as the API refuses it.
//! Pages hide the actions a role may not take, and the handlers still
//! check the permission (`Require<P>`).

mod audit;
mod batches;
mod dashboard;
mod forms;
mod inventory;
mod layout;
mod pages;

pub(crate) use pages::as_page;
mod products;
mod session;
mod switcher;
mod team;
mod trace;

use axum::Router;
use axum::routing::{get, post};
use tenancy_axum::{SessionCookie, TenancyLayer};

use crate::domain::Store;
use crate::http::Api;

/// The cookie that holds the session token.
pub const SESSION_COOKIE: &str = "batchtrack_session";

/// The cookie that keys the sign-in form's CSRF token, before any session.
pub const SIGN_IN_COOKIE: &str = "batchtrack_sign_in";

/// The pages, for one backend.
pub(crate) fn routes<DB: Store>(api: Api<DB>) -> Router {
    let tenancy = TenancyLayer::new(api.pool.clone())
        .with_billing_policy(api.policy)
        .with_authenticator(SessionCookie::new(SESSION_COOKIE));
    let signed_in = Router::new()
        .route("/", get(dashboard::show::<DB>))
        .route(
            "/ingredients",
            get(inventory::list::<DB>).post(inventory::create::<DB>),
        )
        .route("/ingredients/{id}", get(inventory::show::<DB>))
        .route("/ingredients/{id}/lots", post(inventory::receive::<DB>))
        .route("/lots/{id}/adjust", post(inventory::adjust::<DB>))
        .route("/recipes", get(batches::recipes::<DB>))
        .route("/recipes/{id}", get(batches::recipe::<DB>))
        .route(
            "/batches",
            get(batches::list::<DB>).post(batches::start::<DB>),
        )
        .route("/batches/{id}", get(batches::show::<DB>))
        .route("/batches/{id}/finish", post(batches::finish::<DB>))
        .route("/batches/{id}/cancel", post(batches::cancel::<DB>))
        .route("/products", get(products::list::<DB>))
        .route("/lots/{id}/trace", get(trace::lot::<DB>))
        .route("/batches/{id}/trace", get(trace::batch::<DB>))
        .route("/audit", get(audit::log::<DB>))
        .route("/team", get(team::show::<DB>))
        .route("/team/invitations", post(team::invite::<DB>))
        .route(
            "/team/invitations/{id}/revoke",
            post(team::revoke_invitation::<DB>),
        )
        .route(
            "/team/members/{id}/deactivate",
            post(team::deactivate::<DB>),
        )
        .route("/team/members/{id}/restore", post(team::restore::<DB>))
        .route("/team/members/{id}/roles", post(team::assign::<DB>))
        .route(
            "/team/role-assignments/{id}/revoke",
            post(team::revoke_role::<DB>),
        )
        .route("/team/roles", post(team::create_role::<DB>))
        .route("/team/permissions", post(team::grant::<DB>))
        .route("/team/transfer", post(team::transfer::<DB>))
        .route(
            "/organizations",
            get(switcher::list::<DB>).post(switcher::select::<DB>),
        );
    let public = Router::new()
        .route("/sign-in", get(session::form).post(session::sign_in::<DB>))
        .route("/sign-out", post(session::sign_out::<DB>))
        .route("/static/site.css", get(layout::stylesheet));
    Router::new()
        .merge(signed_in.layer(tenancy))
        .merge(public)
        .with_state(api)
}
