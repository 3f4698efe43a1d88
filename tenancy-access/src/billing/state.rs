//! An organization's billing state and how Stripe events move it.

use chrono::{DateTime, Utc};

use super::SubscriptionStatus;
use super::stripe::{Event, EventKind};

/// What an organization's billing looks like, as stored with it.
///
/// The state follows one Stripe subscription at a time
/// ([`stripe_subscription_id`](Self::stripe_subscription_id)); events are
/// folded into it with [`apply`](Self::apply), and
/// [`BillingPolicy::access`](super::BillingPolicy::access) reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BillingState {
    /// The followed subscription's status; `None` when the organization has
    /// no subscription on record.
    pub status: Option<SubscriptionStatus>,
    /// The tier key the organization is on (`"free"`, `"team"`, ...).
    pub tier: String,
    /// The organization's Stripe customer id (`cus_...`).
    pub stripe_customer_id: Option<String>,
    /// The subscription this state follows (`sub_...`).
    pub stripe_subscription_id: Option<String>,
    /// When the subscription stopped being `active` or `trialing` (the
    /// creation time of the event that said so): the start of the grace
    /// period. Kept while the status moves between other statuses, cleared
    /// when it is `active` or `trialing` again.
    pub delinquent_since: Option<DateTime<Utc>>,
    /// The creation time of the last event applied for the followed
    /// subscription; older events are stale.
    pub last_event_at: Option<DateTime<Utc>>,
}

/// What applying an event to a [`BillingState`] comes to.
///
/// Either way the caller records the event id as processed, in the same
/// transaction as the new state if any, so that Stripe's retries and
/// duplicates are not applied twice.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transition {
    /// Store this state. Its `last_event_at` always moves, so compare
    /// `status` and `tier` with the old state to tell whether the billing
    /// state changed (for the audit log).
    Applied(BillingState),
    /// The event changes nothing, for this reason.
    Ignored(Ignored),
}

/// Why an event changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ignored {
    /// Not one of the event types that bear on billing state.
    EventType,
    /// The event is about another Stripe customer than the organization's.
    OtherCustomer,
    /// The event is about a subscription the state does not follow, and
    /// that does not replace it (or about no subscription at all).
    NotFollowed,
    /// The event is older than what was already applied.
    Stale,
    /// The followed subscription has ended, and Stripe never revives one.
    Ended,
}

impl BillingState {
    /// The state of an organization on `tier` with no subscription.
    #[must_use]
    pub fn new(tier: impl Into<String>) -> Self {
        Self {
            status: None,
            tier: tier.into(),
            stripe_customer_id: None,
            stripe_subscription_id: None,
            delinquent_since: None,
            last_event_at: None,
        }
    }

    /// Folds a (verified) Stripe event into this state. Pure: the same
    /// state and event always give the same answer, whenever it is called.
    ///
    /// The rules, in order:
    ///
    /// 1. Event types other than `customer.subscription.created`,
    ///    `.updated`, `.deleted`, `invoice.paid` and
    ///    `invoice.payment_failed` are [`Ignored::EventType`].
    /// 2. An event naming another customer than a recorded
    ///    `stripe_customer_id` is [`Ignored::OtherCustomer`].
    /// 3. A subscription event about another subscription than the followed
    ///    one replaces it when that subscription is `active` or `trialing`
    ///    (a new subscription counts once it is paid for), and either none
    ///    is followed, the followed one has ended, or the event is not older
    ///    than `last_event_at` ([`Ignored::Stale`] otherwise, so that a
    ///    late event about a replaced subscription cannot bring it back).
    ///    Any other event about another subscription, and any invoice
    ///    without one, is [`Ignored::NotFollowed`].
    /// 4. For the followed subscription: once it is `canceled` or
    ///    `incomplete_expired`, [`Ignored::Ended`]; an event created before
    ///    `last_event_at` is [`Ignored::Stale`], as is an `incomplete`
    ///    status once the subscription has had another (Stripe never goes
    ///    back to `incomplete`, which settles the common case of `created`
    ///    and `updated` in the same second arriving swapped). Other events
    ///    of the same second apply in the order they arrive.
    /// 5. A subscription event sets the status (`canceled` for `.deleted`),
    ///    the tier when it names one (see
    ///    [`Subscription::tier`](super::stripe::Subscription::tier)), and
    ///    the customer. `invoice.paid` makes a `past_due`, `unpaid` or
    ///    `incomplete` subscription `active`; `invoice.payment_failed`
    ///    makes an `active` or `trialing` one `past_due`. Otherwise invoices
    ///    leave the status as it is (Stripe's own subscription event
    ///    follows).
    ///
    /// `delinquent_since` then follows the status as documented on the
    /// field, and `last_event_at` becomes the event's creation time.
    #[must_use]
    pub fn apply(&self, event: &Event) -> Transition {
        if let (Some(ours), Some(theirs)) = (&self.stripe_customer_id, event.customer_id())
            && ours != theirs
        {
            return Transition::Ignored(Ignored::OtherCustomer);
        }
        let followed = self.stripe_subscription_id.as_deref();
        let created = event.created;
        match &event.kind {
            EventKind::SubscriptionCreated(s)
            | EventKind::SubscriptionUpdated(s)
            | EventKind::SubscriptionDeleted(s) => {
                let status = match event.kind {
                    EventKind::SubscriptionDeleted(_) => SubscriptionStatus::Canceled,
                    _ => s.status,
                };
                if followed != Some(s.id.as_str()) {
                    if let Err(ignored) = self.may_replace_with(status, created) {
                        return Transition::Ignored(ignored);
                    }
                } else if let Err(ignored) = self.may_follow_up(created) {
                    return Transition::Ignored(ignored);
                } else if status == SubscriptionStatus::Incomplete
                    && self
                        .status
                        .is_some_and(|s| s != SubscriptionStatus::Incomplete)
                {
                    return Transition::Ignored(Ignored::Stale);
                }
                let mut next = self.moved_to(status, created);
                next.stripe_subscription_id = Some(s.id.clone());
                next.stripe_customer_id = Some(s.customer_id.clone());
                if let Some(tier) = &s.tier {
                    next.tier.clone_from(tier);
                }
                Transition::Applied(next)
            }
            EventKind::InvoicePaid(i) | EventKind::InvoicePaymentFailed(i) => {
                if followed.is_none() || i.subscription_id.as_deref() != followed {
                    return Transition::Ignored(Ignored::NotFollowed);
                }
                if let Err(ignored) = self.may_follow_up(created) {
                    return Transition::Ignored(ignored);
                }
                let paid = matches!(event.kind, EventKind::InvoicePaid(_));
                let status = self.status.map(|status| {
                    use SubscriptionStatus as S;
                    match status {
                        S::PastDue | S::Unpaid | S::Incomplete if paid => S::Active,
                        S::Active | S::Trialing if !paid => S::PastDue,
                        unchanged => unchanged,
                    }
                });
                let mut next = match status {
                    Some(status) => self.moved_to(status, created),
                    None => self.clone(),
                };
                next.last_event_at = Some(created);
                Transition::Applied(next)
            }
            EventKind::Other(_) => Transition::Ignored(Ignored::EventType),
        }
    }

    /// Whether a subscription other than the followed one, now in
    /// `status`, takes its place (rule 3).
    fn may_replace_with(
        &self,
        status: SubscriptionStatus,
        created: DateTime<Utc>,
    ) -> Result<(), Ignored> {
        if !status.is_paying() {
            return Err(Ignored::NotFollowed);
        }
        let free = self.stripe_subscription_id.is_none()
            || self.status.is_none_or(SubscriptionStatus::is_final);
        if free || self.last_event_at.is_none_or(|last| created >= last) {
            Ok(())
        } else {
            Err(Ignored::Stale)
        }
    }

    /// Whether an event about the followed subscription may apply (rule 4).
    fn may_follow_up(&self, created: DateTime<Utc>) -> Result<(), Ignored> {
        if self.status.is_some_and(SubscriptionStatus::is_final) {
            Err(Ignored::Ended)
        } else if self.last_event_at.is_some_and(|last| created < last) {
            Err(Ignored::Stale)
        } else {
            Ok(())
        }
    }

    /// This state with `status`, its grace clock and the event time updated.
    fn moved_to(&self, status: SubscriptionStatus, created: DateTime<Utc>) -> Self {
        let was_paying = self.status.is_none_or(SubscriptionStatus::is_paying);
        let delinquent_since = match self.delinquent_since {
            _ if status.is_paying() => None,
            Some(since) if !was_paying => Some(since),
            _ => Some(created),
        };
        Self {
            status: Some(status),
            delinquent_since,
            last_event_at: Some(created),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests;
