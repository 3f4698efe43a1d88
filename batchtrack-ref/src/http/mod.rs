//! The HTTP API: JSON under `/api/v1`, one module per resource, behind the
//! tenancy layer (who is signing in, for which organization, with which
//! permissions, in good standing) and the serving layers every route
//! shares (body limit, timeout, request ids, tracing, problem details).
//!
//! Handlers are generic over the backend ([`Store`]): one router serves
//! SQLite and PostgreSQL. Each names the permission it needs
//! (`Require<P>`), takes the request's [`Scope`](tenancy_core::Scope) and
//! calls the domain's services; none writes SQL.

mod audit;
mod auth;
mod batches;
mod catalog;
mod idempotency;
mod inventory;
pub mod openapi;
mod paging;
mod problem;
mod products;
mod serving;
mod team;
mod trace;
mod versions;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;
use tenancy_access::Passwords;
use tenancy_access::billing::BillingPolicy;
use tenancy_access::billing::stripe::WebhookVerifier;
use tenancy_axum::TenancyLayer;

use crate::domain::Store;
use crate::domain::units::UnitBook;
use crate::outbox::{LogOutbox, Outbox};
pub use problem::{ApiError, ApiResult};

/// The largest request body the API reads: far beyond any recipe or
/// receipt, small enough that no client can make the server buffer much.
pub const BODY_LIMIT: usize = 64 * 1024;

/// How long a request may take before it is answered `503` with
/// `Retry-After`.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Where Stripe's webhook is served (when configured).
pub const STRIPE_WEBHOOK: &str = "/api/v1/billing/stripe/webhook";

/// How long a session of a password sign-in lasts.
pub const SESSION_TTL: chrono::Duration = chrono::Duration::hours(12);

/// The database BatchTrack runs on.
#[derive(Debug, Clone)]
pub enum Database {
    /// An embedded SQLite file.
    Sqlite(sqlx::SqlitePool),
    /// A PostgreSQL server.
    Postgres(sqlx::PgPool),
}

/// What every handler can reach, for one backend.
#[derive(Debug)]
pub struct Api<DB: sqlx::Database> {
    /// The app's pool: on PostgreSQL a role row-level security holds.
    pub pool: sqlx::Pool<DB>,
    /// The units, read at start-up.
    pub units: Arc<UnitBook>,
    /// Password hashing, on its own threads.
    pub passwords: Passwords,
    /// Who may act once billing lapsed.
    pub policy: BillingPolicy,
    /// The pool of work across organizations (sign-up): the app's own on
    /// SQLite; on PostgreSQL a login of the system role, if configured.
    pub system: Option<sqlx::Pool<DB>>,
    /// Where invitations go.
    pub outbox: Arc<dyn Outbox>,
    /// Stripe's webhook secret: the webhook is served when it is set and
    /// there is a pool of work across organizations to apply it with.
    pub stripe: Option<WebhookVerifier>,
}

impl<DB: sqlx::Database> Clone for Api<DB> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            units: Arc::clone(&self.units),
            passwords: self.passwords.clone(),
            policy: self.policy,
            system: self.system.clone(),
            outbox: Arc::clone(&self.outbox),
            stripe: self.stripe.clone(),
        }
    }
}

impl<DB: Store> Api<DB> {
    /// The state for `pool`, reading the units once. Invitations go to
    /// the log ([`LogOutbox`]); on PostgreSQL sign-up is off until
    /// [`with_system`](Self::with_system) gives it a pool.
    ///
    /// # Errors
    ///
    /// When the units cannot be read.
    pub async fn new(pool: sqlx::Pool<DB>) -> tenancy_core::Result<Self> {
        let units = Arc::new(UnitBook::load(&pool).await?);
        // SQLite has no roles: the app's pool is the system's too.
        let system = (<DB as sqlx::Database>::NAME == "SQLite").then(|| pool.clone());
        Ok(Self {
            pool,
            units,
            passwords: Passwords::new(),
            policy: BillingPolicy::default(),
            system,
            outbox: Arc::new(LogOutbox),
            stripe: None,
        })
    }

    /// Signs up with `system`, a pool of a login of the system role.
    #[must_use]
    pub fn with_system(mut self, system: sqlx::Pool<DB>) -> Self {
        self.system = Some(system);
        self
    }

    /// Serves Stripe's webhook at `/api/v1/billing/stripe/webhook`,
    /// verified with `verifier`.
    #[must_use]
    pub fn with_stripe(mut self, verifier: WebhookVerifier) -> Self {
        self.stripe = Some(verifier);
        self
    }

    /// Sends invitations to `outbox`.
    #[must_use]
    pub fn with_outbox(mut self, outbox: Arc<dyn Outbox>) -> Self {
        self.outbox = outbox;
        self
    }
}

/// The application's routes on `database`; `system`, on PostgreSQL, is
/// the pool sign-up and Stripe's webhook write with; `stripe` the
/// webhook's verifier.
///
/// # Errors
///
/// When the units cannot be read.
pub async fn app(
    database: &Database,
    system: Option<sqlx::PgPool>,
    stripe: Option<WebhookVerifier>,
) -> tenancy_core::Result<Router> {
    fn configured<DB: Store>(mut api: Api<DB>, stripe: Option<WebhookVerifier>) -> Api<DB> {
        if let Some(verifier) = stripe {
            api = api.with_stripe(verifier);
        }
        api
    }
    Ok(match database {
        Database::Sqlite(pool) => {
            router(configured(Api::new(pool.clone()).await?, stripe), "sqlite")
        }
        Database::Postgres(pool) => {
            let mut api = configured(Api::new(pool.clone()).await?, stripe);
            if let Some(system) = system {
                api = api.with_system(system);
            }
            router(api, "postgres")
        }
    })
}

/// `router` behind the serving layers BatchTrack's own routes have (body
/// limit, timeout, request ids, request spans, panics and bare errors
/// answered as problems): for routes an app adds beside them.
pub fn with_serving_layers(router: Router) -> Router {
    serving::serve(router)
}

/// Every route, for one backend.
pub fn router<DB: Store>(api: Api<DB>, backend: &'static str) -> Router {
    let v1 = Router::new()
        .merge(auth::routes())
        .merge(audit::routes())
        .merge(catalog::routes())
        .merge(inventory::routes())
        .merge(batches::routes())
        .merge(products::routes())
        .merge(trace::routes())
        .merge(team::routes());
    let tenancy = TenancyLayer::new(api.pool.clone()).with_billing_policy(api.policy);
    // Stripe signs its requests; it does not sign in: outside the layer.
    let stripe = match (&api.stripe, &api.system) {
        (Some(verifier), Some(system)) => Router::new().nest(
            STRIPE_WEBHOOK,
            tenancy_axum::stripe_webhook(system.clone(), verifier.clone()),
        ),
        (Some(_), None) => {
            tracing::warn!(
                "the Stripe webhook is not served: it needs a login of the system role \
                 (--system-database-url)"
            );
            Router::new()
        }
        _ => Router::new(),
    };
    let pages = crate::web::routes(api.clone());
    let health = Router::new()
        .route("/health", get(health::<DB>))
        .with_state((api.pool.clone(), backend));
    serving::serve(
        Router::new()
            .nest("/api/v1", v1.layer(tenancy).with_state(api))
            .merge(stripe)
            .merge(health)
            .merge(openapi::routes())
            .merge(pages)
            .fallback(problem::no_route)
            .layer(axum::middleware::from_fn(crate::web::as_page)),
    )
}

/// The body of `GET /health`.
#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    database: &'static str,
}

/// Answers 200 once the database answers a ping, 503 otherwise.
async fn health<DB: Store>(
    State((pool, backend)): State<(sqlx::Pool<DB>, &'static str)>,
) -> ApiResult<axum::Json<Health>> {
    let unavailable = |error: sqlx::Error| {
        tracing::warn!(%error, "the health check found the database unavailable");
        tenancy_axum::Problem::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Database unavailable",
        )
        .with_retry_after(1)
    };
    let mut conn = pool.acquire().await.map_err(unavailable)?;
    sqlx::Connection::ping(&mut *conn)
        .await
        .map_err(unavailable)?;
    Ok(axum::Json(Health {
        status: "ok",
        database: backend,
    }))
}
