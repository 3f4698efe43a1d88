//! Billing state and the rule it sets on who may act.
//!
//! A SaaS organization pays through a Stripe subscription, and when payment
//! stops the question is what its team may still do. The answer here: the
//! whole team keeps working while the subscription is paid for or within a
//! grace period after a failed payment; after that only the owner may act,
//! so that they can fix billing, and everyone else gets a clear "billing
//! lapsed, contact your owner"; the app's own developers are never held
//! back. Having that rule in one pure function, [`BillingPolicy::access`],
//! keeps it from being re-decided route by route.
//!
//! The state it reads, [`BillingState`], is kept up to date from Stripe's
//! webhooks ([`stripe`]), which arrive late, twice or out of order:
//! [`BillingState::apply`] is the pure step that decides what an event
//! changes, for a storage layer to run inside its transaction.

mod policy;
mod state;
mod status;
mod stored;
pub mod stripe;

pub use policy::{Access, BillingPolicy, Lapse, Standing};
pub use state::{BillingState, Ignored, Transition};
pub use status::{SubscriptionStatus, UnknownStatus};
pub use stored::{
    WebhookFailure, WebhookOutcome, apply_stripe_webhook, billing_state, link_stripe_customer,
    may_act, standing,
};
