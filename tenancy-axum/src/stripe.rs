//! Stripe's webhook endpoint: the raw body, verified, applied at most once.

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use tenancy_access::AccessStore;
use tenancy_access::billing::stripe::WebhookVerifier;
use tenancy_access::billing::{self, WebhookFailure, WebhookOutcome};
use tenancy_core::http::Problem;

struct Hook<DB: sqlx::Database> {
    pool: sqlx::Pool<DB>,
    verifier: WebhookVerifier,
}

/// A router with Stripe's webhook at `POST /`, to nest where Stripe calls
/// it: `.nest("/stripe/webhook", stripe_webhook(pool, verifier))`. Put it
/// outside the tenancy layer: Stripe signs its requests, it does not sign
/// in.
///
/// Answers 200 with `{"outcome": "applied" | "duplicate" | "ignored"}`
/// (Stripe stops retrying), 400 for a bad signature, a stale timestamp or a
/// malformed body (nothing is written), 409 for a customer no organization
/// has yet and 500 when the database fails (Stripe retries both).
pub fn stripe_webhook<DB: AccessStore>(pool: sqlx::Pool<DB>, verifier: WebhookVerifier) -> Router {
    Router::new()
        .route("/", post(receive::<DB>))
        .with_state(Arc::new(Hook { pool, verifier }))
}

async fn receive<DB: AccessStore>(
    State(hook): State<Arc<Hook<DB>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let now = chrono::Utc::now();
    match billing::apply_stripe_webhook(&hook.pool, &hook.verifier, signature, &body, now).await {
        Ok(WebhookOutcome::UnknownCustomer) => {
            // An error status makes Stripe retry, by when the customer may be
            // linked to its organization.
            Problem::new(StatusCode::CONFLICT, "unknown_customer", "Unknown customer")
                .with_detail("no organization has this Stripe customer yet")
                .into_response()
        }
        Ok(outcome) => {
            let outcome = match outcome {
                WebhookOutcome::Applied { .. } => "applied",
                WebhookOutcome::Duplicate => "duplicate",
                _ => "ignored",
            };
            (
                StatusCode::OK,
                axum::Json(serde_json::json!({ "outcome": outcome })),
            )
                .into_response()
        }
        Err(WebhookFailure::Signature(error)) => {
            tracing::warn!(%error, "refused a Stripe webhook");
            Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_signature",
                "Invalid signature",
            )
            .with_detail("the Stripe-Signature header does not verify")
            .into_response()
        }
        Err(WebhookFailure::Payload(error)) => {
            tracing::warn!(%error, "refused a Stripe webhook body");
            Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_payload",
                "Invalid payload",
            )
            .with_detail("the body is not a Stripe event")
            .into_response()
        }
        Err(WebhookFailure::Storage(error)) => Problem::from(error).into_response(),
        Err(other) => {
            tracing::error!(error = %other, "a Stripe webhook failed");
            Problem::internal().into_response()
        }
    }
}

impl<DB: sqlx::Database> fmt::Debug for Hook<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hook")
            .field("verifier", &self.verifier)
            .finish_non_exhaustive()
    }
}
