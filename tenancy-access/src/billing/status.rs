//! Stripe's subscription statuses, as stored and as received.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The status of a Stripe subscription, spelt as Stripe spells it.
///
/// Serializes to and parses from Stripe's snake_case strings (`"past_due"`),
/// so the same value round-trips through webhooks and database columns.
/// What each status means for who may act is decided by
/// [`BillingPolicy`](super::BillingPolicy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SubscriptionStatus {
    /// Paid up.
    Active,
    /// In a trial period; nothing is owed yet.
    Trialing,
    /// A renewal payment failed and Stripe is retrying it.
    PastDue,
    /// Stripe stopped retrying; the invoice stays open and paying it
    /// reactivates the subscription.
    Unpaid,
    /// Ended, by the customer or by Stripe. Final.
    Canceled,
    /// A new subscription whose first payment has not gone through yet.
    Incomplete,
    /// A new subscription whose first payment never went through. Final.
    IncompleteExpired,
    /// A trial ended without a payment method; nothing is billed until it
    /// resumes.
    Paused,
}

impl SubscriptionStatus {
    /// Every status, so that tests and exhaustive tables break when Stripe
    /// adds one and this enum follows.
    pub const ALL: [Self; 8] = [
        Self::Active,
        Self::Trialing,
        Self::PastDue,
        Self::Unpaid,
        Self::Canceled,
        Self::Incomplete,
        Self::IncompleteExpired,
        Self::Paused,
    ];

    /// Stripe's spelling of this status.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Trialing => "trialing",
            Self::PastDue => "past_due",
            Self::Unpaid => "unpaid",
            Self::Canceled => "canceled",
            Self::Incomplete => "incomplete",
            Self::IncompleteExpired => "incomplete_expired",
            Self::Paused => "paused",
        }
    }

    /// Whether Stripe never moves a subscription out of this status.
    pub(crate) const fn is_final(self) -> bool {
        matches!(self, Self::Canceled | Self::IncompleteExpired)
    }

    /// Whether the subscription is paid for (or not yet due).
    pub(crate) const fn is_paying(self) -> bool {
        matches!(self, Self::Active | Self::Trialing)
    }
}

impl fmt::Display for SubscriptionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not one of Stripe's subscription statuses.
///
/// The offending string is not kept: it may come from a request body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a Stripe subscription status")]
#[non_exhaustive]
pub struct UnknownStatus;

impl FromStr for SubscriptionStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or(UnknownStatus)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_stripe_string() {
        for status in SubscriptionStatus::ALL {
            assert_eq!(status.as_str().parse::<SubscriptionStatus>(), Ok(status));
            assert_eq!(status.to_string(), status.as_str());
        }
    }

    #[test]
    fn serde_uses_the_same_strings_as_as_str() {
        for status in SubscriptionStatus::ALL {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            let back: SubscriptionStatus = serde_json::from_str(&json).unwrap();
            assert_eq!(back, status);
        }
    }

    #[test]
    fn unknown_and_differently_cased_strings_are_refused() {
        for s in ["", "PastDue", "ACTIVE", "past-due", "cancelled", " active"] {
            assert_eq!(s.parse::<SubscriptionStatus>(), Err(UnknownStatus), "{s:?}");
        }
    }
}
