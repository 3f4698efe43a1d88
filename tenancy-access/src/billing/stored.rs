//! Billing state in the database: who may act, and Stripe's webhooks
//! applied at most once each, in the transaction that records them.

use crate::store::KEY;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::Acquire;

use crate::billing::stripe::{Event, EventError, WebhookError, WebhookVerifier};
use crate::billing::{Access, BillingPolicy, BillingState, Ignored, Standing, Transition};
use crate::event_log::{EventKind, NewEvent};
use crate::store::AccessStore;
use tenancy_core::OrgId;
use tenancy_core::{Actor, ActsAcrossOrgs, Scope};
use tenancy_core::{Error, Result};

/// The organization's billing state.
///
/// # Errors
///
/// [`Error::Database`] when the statement fails.
pub async fn billing_state<'c, A, DB>(conn: A, scope: &Scope) -> Result<BillingState>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let mut conn = crate::store::acquire(conn).await?;
    Ok(DB::__org_row(KEY, &mut **conn, scope.org()).await?.billing)
}

/// How the scope's actor stands in its organization: the owner, a member,
/// or a developer (jobs count as developers: billing never stops them).
///
/// # Errors
///
/// [`Error::Database`] when the statement fails.
pub async fn standing<'c, A, DB>(conn: A, scope: &Scope) -> Result<Standing>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let mut conn = crate::store::acquire(conn).await?;
    let org = DB::__org_row(KEY, &mut **conn, scope.org()).await?;
    Ok(standing_of(scope, org.owner))
}

fn standing_of(scope: &Scope, owner: Option<tenancy_core::UserId>) -> Standing {
    match scope.actor() {
        Actor::Member { user } if owner == Some(*user) => Standing::Owner,
        Actor::Member { .. } => Standing::Member,
        _ => Standing::Developer,
    }
}

/// Whether the scope's actor may act now, given the organization's billing:
/// one statement for the owner and the state, then `policy`.
///
/// # Errors
///
/// [`Error::Database`] when the statement fails.
pub async fn may_act<'c, A, DB>(
    conn: A,
    scope: &Scope,
    policy: &BillingPolicy,
    now: DateTime<Utc>,
) -> Result<Access>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let mut conn = crate::store::acquire(conn).await?;
    let org = DB::__org_row(KEY, &mut **conn, scope.org()).await?;
    Ok(policy.access(&org.billing, standing_of(scope, org.owner), now))
}

/// Ties an organization to its Stripe customer, so that webhooks find it.
///
/// # Errors
///
/// [`Error::Conflict`] when another organization has this customer.
pub async fn link_stripe_customer<'c, A, DB>(
    conn: A,
    system: &impl ActsAcrossOrgs,
    org: OrgId,
    customer_id: &str,
) -> Result<()>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let reason = system.acting_reason().to_owned();
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(KEY, &mut **conn).await?;
    let mut state = DB::__org_row_for_update(KEY, &mut tx, org).await?.billing;
    let before = state.stripe_customer_id.replace(customer_id.to_owned());
    DB::__save_billing(KEY, &mut tx, org, &state).await?;
    let detail = json!({ "from": before, "to": customer_id, "reason": reason });
    let event = NewEvent::new(
        Some(org),
        EventKind::BillingCustomerLinked,
        None,
        None,
        detail,
    );
    DB::__record(KEY, &mut tx, &event, Utc::now()).await?;
    tx.commit().await?;
    Ok(())
}

/// What a verified webhook did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookOutcome {
    /// The event changed the organization's billing state.
    Applied {
        /// The organization.
        org: OrgId,
    },
    /// The event id was applied before: Stripe delivered it again.
    Duplicate,
    /// The event changes nothing (a type not followed, an event older than
    /// the state, another subscription): recorded, so not read again.
    Ignored {
        /// The organization, when one was found.
        org: Option<OrgId>,
        /// Why nothing changed.
        reason: Ignored,
    },
    /// No organization has the event's Stripe customer (yet): nothing is
    /// recorded, so that Stripe's retry applies it once the customer is
    /// linked. Answer Stripe with an error status to get that retry.
    UnknownCustomer,
}

/// Why a webhook was refused; nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookFailure {
    /// The signature did not verify: forged, stale or for another secret.
    #[error("the webhook signature does not verify")]
    Signature(#[from] WebhookError),
    /// The body is not an event this crate reads.
    #[error("the webhook body is not a Stripe event")]
    Payload(#[from] EventError),
    /// Storing the event failed.
    #[error("the webhook could not be stored")]
    Storage(#[from] Error),
}

/// Verifies a Stripe webhook and applies it at most once: the event id is
/// recorded in the same transaction as the change, so a retried, duplicated
/// or concurrent delivery changes nothing, and an event older than the
/// state already applied is ignored.
///
/// # Errors
///
/// [`WebhookFailure::Signature`] for a bad signature or timestamp,
/// [`WebhookFailure::Payload`] for a malformed body (both before anything
/// is read or written), [`WebhookFailure::Storage`] when the database
/// fails (nothing is written).
pub async fn apply_stripe_webhook<'c, A, DB>(
    conn: A,
    verifier: &WebhookVerifier,
    signature_header: &str,
    raw_body: &[u8],
    now: DateTime<Utc>,
) -> std::result::Result<WebhookOutcome, WebhookFailure>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    verifier.verify(signature_header, raw_body, now)?;
    let event = Event::parse(raw_body)?;
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(KEY, &mut **conn).await?;
    let org = match event.customer_id() {
        Some(customer) => DB::__org_for_customer(KEY, &mut tx, customer).await?,
        None => None,
    };
    let Some(org) = org else {
        // Not recorded: the customer may be linked to its organization in a
        // moment (checkout often reports the subscription first), and
        // Stripe's retry must then apply the event.
        return Ok(WebhookOutcome::UnknownCustomer);
    };
    let before = DB::__org_row_for_update(KEY, &mut tx, org).await?.billing;
    let transition = before.apply(&event);
    let outcome = match &transition {
        Transition::Applied(_) => "applied",
        _ => "ignored",
    };
    if !claim::<DB>(&mut tx, &event, Some(org), outcome, now).await? {
        return Ok(WebhookOutcome::Duplicate);
    }
    let result = match transition {
        Transition::Applied(after) => {
            DB::__save_billing(KEY, &mut tx, org, &after).await?;
            let record = NewEvent {
                organization_id: Some(org),
                user_id: None,
                actor_id: None,
                kind: EventKind::BillingStateChanged,
                subject: None,
                detail: json!({
                    "stripe_event": event.id,
                    "from": before.status.map(|s| s.as_str()),
                    "to": after.status.map(|s| s.as_str()),
                    "tier": after.tier,
                }),
            };
            DB::__record(KEY, &mut tx, &record, now).await?;
            WebhookOutcome::Applied { org }
        }
        Transition::Ignored(reason) => WebhookOutcome::Ignored {
            org: Some(org),
            reason,
        },
    };
    tx.commit().await.map_err(Error::from)?;
    Ok(result)
}

async fn claim<DB: AccessStore>(
    conn: &mut DB::Connection,
    event: &Event,
    org: Option<OrgId>,
    outcome: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    DB::__claim_event(KEY, conn, &event.id, org, event.event_type(), outcome, now).await
}
