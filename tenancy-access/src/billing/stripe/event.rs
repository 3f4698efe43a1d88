//! The Stripe events that matter to billing state, parsed from a webhook body.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::billing::SubscriptionStatus;

const SUBSCRIPTION_CREATED: &str = "customer.subscription.created";
const SUBSCRIPTION_UPDATED: &str = "customer.subscription.updated";
const SUBSCRIPTION_DELETED: &str = "customer.subscription.deleted";
const INVOICE_PAID: &str = "invoice.paid";
const INVOICE_PAYMENT_FAILED: &str = "invoice.payment_failed";

/// A Stripe event, as delivered to a webhook endpoint.
///
/// Parse it only from a body that [`WebhookVerifier::verify`] accepted.
///
/// [`WebhookVerifier::verify`]: super::WebhookVerifier::verify
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event {
    /// Stripe's event id (`evt_...`): the key for applying it at most once.
    pub id: String,
    /// When Stripe created the event, which orders events about one
    /// subscription (to the second).
    pub created: DateTime<Utc>,
    /// What happened.
    pub kind: EventKind,
}

/// What an [`Event`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventKind {
    /// `customer.subscription.created`.
    SubscriptionCreated(Subscription),
    /// `customer.subscription.updated`.
    SubscriptionUpdated(Subscription),
    /// `customer.subscription.deleted`: the subscription has ended.
    SubscriptionDeleted(Subscription),
    /// `invoice.paid`.
    InvoicePaid(Invoice),
    /// `invoice.payment_failed`.
    InvoicePaymentFailed(Invoice),
    /// Any other event type, named here; billing state ignores it.
    Other(String),
}

/// The subscription a `customer.subscription.*` event carries.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Subscription {
    /// Stripe's subscription id (`sub_...`).
    pub id: String,
    /// Stripe's customer id (`cus_...`).
    pub customer_id: String,
    /// The subscription's status after the event.
    pub status: SubscriptionStatus,
    /// The tier key it pays for: the subscription's `metadata.tier`, else the
    /// `lookup_key` of the price of its first item; `None` when neither is
    /// set (or they are empty).
    pub tier: Option<String>,
}

/// The invoice an `invoice.*` event carries.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Invoice {
    /// Stripe's invoice id (`in_...`).
    pub id: String,
    /// Stripe's customer id, when the invoice has a customer.
    pub customer_id: Option<String>,
    /// The subscription the invoice bills, if any: read from
    /// `parent.subscription_details.subscription` (API versions from
    /// 2025-03-31) or from the older top-level `subscription`.
    pub subscription_id: Option<String>,
}

/// Why a webhook body could not be read as a Stripe event.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// The body is not JSON, or lacks an event's `id`, `type`, `created` or
    /// `data.object`.
    #[error("the webhook body is not a Stripe event")]
    NotAnEvent(#[source] serde_json::Error),
    /// The event's object does not have what an event of its type carries,
    /// such as a subscription status this crate does not know yet.
    #[error("the `{event_type}` event does not carry what that type should")]
    Payload {
        /// The event's type.
        event_type: &'static str,
        /// What serde found wrong.
        #[source]
        source: serde_json::Error,
    },
    /// `created` is not a time chrono can represent.
    #[error("the event's `created` time is out of range")]
    Created,
}

impl Event {
    /// Parses a webhook body. Unknown event types are not an error: they
    /// become [`EventKind::Other`].
    ///
    /// # Errors
    ///
    /// [`EventError`] when the body is not a Stripe event or a known event's
    /// object is not what its type carries.
    pub fn parse(raw_body: &[u8]) -> Result<Self, EventError> {
        let raw: RawEvent = serde_json::from_slice(raw_body).map_err(EventError::NotAnEvent)?;
        let created = DateTime::<Utc>::from_timestamp(raw.created, 0).ok_or(EventError::Created)?;
        let object = raw.data.object;
        let kind = match raw.event_type.as_str() {
            SUBSCRIPTION_CREATED => EventKind::SubscriptionCreated(
                payload::<RawSubscription>(SUBSCRIPTION_CREATED, object)?.into(),
            ),
            SUBSCRIPTION_UPDATED => EventKind::SubscriptionUpdated(
                payload::<RawSubscription>(SUBSCRIPTION_UPDATED, object)?.into(),
            ),
            SUBSCRIPTION_DELETED => EventKind::SubscriptionDeleted(
                payload::<RawSubscription>(SUBSCRIPTION_DELETED, object)?.into(),
            ),
            INVOICE_PAID => {
                EventKind::InvoicePaid(payload::<RawInvoice>(INVOICE_PAID, object)?.into())
            }
            INVOICE_PAYMENT_FAILED => EventKind::InvoicePaymentFailed(
                payload::<RawInvoice>(INVOICE_PAYMENT_FAILED, object)?.into(),
            ),
            _ => EventKind::Other(raw.event_type),
        };
        Ok(Self {
            id: raw.id,
            created,
            kind,
        })
    }

    /// Stripe's name of the event type (`"invoice.paid"`).
    #[must_use]
    pub fn event_type(&self) -> &str {
        match &self.kind {
            EventKind::SubscriptionCreated(_) => SUBSCRIPTION_CREATED,
            EventKind::SubscriptionUpdated(_) => SUBSCRIPTION_UPDATED,
            EventKind::SubscriptionDeleted(_) => SUBSCRIPTION_DELETED,
            EventKind::InvoicePaid(_) => INVOICE_PAID,
            EventKind::InvoicePaymentFailed(_) => INVOICE_PAYMENT_FAILED,
            EventKind::Other(event_type) => event_type,
        }
    }

    /// The Stripe customer the event is about, to find its organization.
    #[must_use]
    pub fn customer_id(&self) -> Option<&str> {
        match &self.kind {
            EventKind::SubscriptionCreated(s)
            | EventKind::SubscriptionUpdated(s)
            | EventKind::SubscriptionDeleted(s) => Some(&s.customer_id),
            EventKind::InvoicePaid(i) | EventKind::InvoicePaymentFailed(i) => {
                i.customer_id.as_deref()
            }
            EventKind::Other(_) => None,
        }
    }

    /// The Stripe subscription the event is about, if any.
    #[must_use]
    pub fn subscription_id(&self) -> Option<&str> {
        match &self.kind {
            EventKind::SubscriptionCreated(s)
            | EventKind::SubscriptionUpdated(s)
            | EventKind::SubscriptionDeleted(s) => Some(&s.id),
            EventKind::InvoicePaid(i) | EventKind::InvoicePaymentFailed(i) => {
                i.subscription_id.as_deref()
            }
            EventKind::Other(_) => None,
        }
    }
}

fn payload<R: DeserializeOwned>(
    event_type: &'static str,
    object: serde_json::Value,
) -> Result<R, EventError> {
    serde_json::from_value(object).map_err(|source| EventError::Payload { event_type, source })
}

// What is read from Stripe's JSON; unknown fields are ignored, so that
// Stripe adding fields breaks nothing.

#[derive(Deserialize)]
struct RawEvent {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    created: i64,
    data: RawData,
}

#[derive(Deserialize)]
struct RawData {
    object: serde_json::Value,
}

/// A reference Stripe may send as an id or, when expanded, as the object.
#[derive(Deserialize)]
#[serde(untagged)]
enum Ref {
    Id(String),
    Object { id: String },
}

impl From<Ref> for String {
    fn from(r: Ref) -> Self {
        match r {
            Ref::Id(id) | Ref::Object { id } => id,
        }
    }
}

#[derive(Deserialize)]
struct RawSubscription {
    id: String,
    customer: Ref,
    status: SubscriptionStatus,
    metadata: Option<RawMetadata>,
    items: Option<RawList<RawItem>>,
}

#[derive(Deserialize)]
struct RawMetadata {
    tier: Option<String>,
}

#[derive(Deserialize)]
struct RawList<T> {
    #[serde(default = "Vec::new")]
    data: Vec<T>,
}

#[derive(Deserialize)]
struct RawItem {
    price: Option<RawPrice>,
}

#[derive(Deserialize)]
struct RawPrice {
    lookup_key: Option<String>,
}

impl From<RawSubscription> for Subscription {
    fn from(raw: RawSubscription) -> Self {
        let non_empty = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
        let from_metadata = non_empty(raw.metadata.and_then(|m| m.tier));
        let from_price = || {
            let item = raw.items?.data.into_iter().next()?;
            non_empty(item.price?.lookup_key)
        };
        Self {
            id: raw.id,
            customer_id: raw.customer.into(),
            status: raw.status,
            tier: from_metadata.or_else(from_price),
        }
    }
}

#[derive(Deserialize)]
struct RawInvoice {
    id: String,
    customer: Option<Ref>,
    subscription: Option<Ref>,
    parent: Option<RawParent>,
}

#[derive(Deserialize)]
struct RawParent {
    subscription_details: Option<RawSubscriptionDetails>,
}

#[derive(Deserialize)]
struct RawSubscriptionDetails {
    subscription: Option<Ref>,
}

impl From<RawInvoice> for Invoice {
    fn from(raw: RawInvoice) -> Self {
        let from_parent = raw
            .parent
            .and_then(|p| p.subscription_details)
            .and_then(|d| d.subscription);
        Self {
            id: raw.id,
            customer_id: raw.customer.map(Into::into),
            subscription_id: from_parent.or(raw.subscription).map(Into::into),
        }
    }
}

#[cfg(test)]
mod tests;
