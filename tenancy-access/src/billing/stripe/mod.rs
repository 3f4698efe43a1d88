//! Stripe webhooks: checking that a request comes from Stripe, and reading
//! the events that bear on billing state.
//!
//! A webhook handler verifies the `Stripe-Signature` header over the raw
//! body with a [`WebhookVerifier`], parses the body with [`Event::parse`],
//! then, in one transaction, skips event ids it has already processed,
//! folds the event into the organization's state with
//! [`BillingState::apply`](super::BillingState::apply) and records the id.
//! Nothing here touches the database or HTTP, so it works with any stack.

mod event;
mod signature;

pub use event::{Event, EventError, EventKind, Invoice, Subscription};
pub use signature::{WebhookError, WebhookVerifier};
