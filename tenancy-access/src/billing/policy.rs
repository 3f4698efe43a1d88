//! Who may act, given an organization's billing state.

use chrono::{DateTime, Duration, Utc};

use super::{BillingState, SubscriptionStatus};

/// How a principal stands towards an organization's billing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Standing {
    /// The organization's owner, who can fix billing.
    Owner,
    /// Anyone else in the organization.
    Member,
    /// A developer of the app itself, who is never held back by a customer's
    /// billing (support, debugging).
    Developer,
}

impl Standing {
    /// Every standing, for exhaustive tests.
    pub const ALL: [Self; 3] = [Self::Owner, Self::Member, Self::Developer];
}

/// The answer to "may this principal act now?".
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Access {
    /// Billing is in order, or the principal is a developer.
    Allowed,
    /// A payment is outstanding but the grace period still runs: act as
    /// usual; the app may want to warn.
    Grace {
        /// When the grace period ends and the team loses access.
        ends_at: DateTime<Utc>,
    },
    /// Billing has lapsed; this principal is the owner and may act so that
    /// they can fix it.
    OwnerOnly(Lapse),
    /// Billing has lapsed and this principal is not the owner: refuse
    /// (HTTP 402, "billing lapsed, contact your owner").
    Denied(Lapse),
}

impl Access {
    /// Whether the principal may act.
    #[must_use]
    pub const fn is_allowed(&self) -> bool {
        !matches!(self, Self::Denied(_))
    }
}

/// Why billing counts as lapsed, for the message a refused principal sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Lapse {
    /// The subscription's status.
    pub status: SubscriptionStatus,
    /// Since when the team has been without access: the end of the grace
    /// period after a payment failure, or for statuses without grace the
    /// moment the subscription stopped being paid for. `None` when the state
    /// does not record it.
    pub since: Option<DateTime<Utc>>,
}

/// The rule that turns a [`BillingState`] into [`Access`].
///
/// | status                 | owner       | member                 | developer |
/// |------------------------|-------------|------------------------|-----------|
/// | no subscription        | allowed     | allowed                | allowed   |
/// | `active`, `trialing`   | allowed     | allowed                | allowed   |
/// | `past_due`, `unpaid`, `incomplete` | grace, then owner only | grace, then denied | allowed |
/// | `canceled`, `incomplete_expired`, `paused` | owner only | denied | allowed |
///
/// Grace applies while a live subscription has an invoice that can still
/// be paid (`past_due`, `unpaid`, `incomplete`). It is measured from
/// [`BillingState::delinquent_since`], the moment the subscription stopped
/// being `active` or `trialing`, and moving between those statuses does not
/// restart it: a team keeps working for the grace period after the first
/// failed payment, however Stripe's retries go. The grace period is
/// half-open: at `delinquent_since + grace_period` exactly, it has ended.
/// A state in a grace status with no `delinquent_since` cannot show that it
/// is within grace, so it counts as lapsed.
///
/// An ended subscription (`canceled`, `incomplete_expired`) or a `paused`
/// one has nothing left to collect, so it gets no grace.
///
/// An organization with no subscription on record (`status` is `None`, for
/// example on a free tier) is allowed: what it may do is the tier's business.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillingPolicy {
    grace_period: Duration,
}

impl BillingPolicy {
    /// The grace period of [`BillingPolicy::default`]: 7 days, about the
    /// first few of Stripe's default payment retries.
    pub const DEFAULT_GRACE_PERIOD: Duration = Duration::days(7);

    /// A policy with this grace period; a negative one counts as none.
    #[must_use]
    pub fn new(grace_period: Duration) -> Self {
        Self {
            grace_period: grace_period.max(Duration::zero()),
        }
    }

    /// How long a team keeps working after a payment fails.
    #[must_use]
    pub const fn grace_period(&self) -> Duration {
        self.grace_period
    }

    /// May a principal of this standing act now, in an organization with
    /// this billing state?
    #[must_use]
    pub fn access(&self, state: &BillingState, standing: Standing, now: DateTime<Utc>) -> Access {
        match (standing, self.organization(state, now)) {
            (Standing::Developer, _) | (_, Organization::InOrder) => Access::Allowed,
            (_, Organization::Grace { ends_at }) => Access::Grace { ends_at },
            (Standing::Owner, Organization::Lapsed(lapse)) => Access::OwnerOnly(lapse),
            (Standing::Member, Organization::Lapsed(lapse)) => Access::Denied(lapse),
        }
    }

    /// Where the organization as a whole stands, before asking who acts.
    fn organization(&self, state: &BillingState, now: DateTime<Utc>) -> Organization {
        let Some(status) = state.status else {
            return Organization::InOrder;
        };
        match status {
            SubscriptionStatus::Active | SubscriptionStatus::Trialing => Organization::InOrder,
            SubscriptionStatus::PastDue
            | SubscriptionStatus::Unpaid
            | SubscriptionStatus::Incomplete => {
                // Saturating: a grace period reaching past chrono's calendar
                // simply never ends, rather than failing.
                let ends_at = state.delinquent_since.map(|since| {
                    since
                        .checked_add_signed(self.grace_period)
                        .unwrap_or(DateTime::<Utc>::MAX_UTC)
                });
                match ends_at {
                    Some(ends_at) if now < ends_at => Organization::Grace { ends_at },
                    since => Organization::Lapsed(Lapse { status, since }),
                }
            }
            SubscriptionStatus::Canceled
            | SubscriptionStatus::IncompleteExpired
            | SubscriptionStatus::Paused => Organization::Lapsed(Lapse {
                status,
                since: state.delinquent_since,
            }),
        }
    }
}

enum Organization {
    InOrder,
    Grace { ends_at: DateTime<Utc> },
    Lapsed(Lapse),
}

impl Default for BillingPolicy {
    fn default() -> Self {
        Self::new(Self::DEFAULT_GRACE_PERIOD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SubscriptionStatus as S;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    const DAY: i64 = 86_400;

    fn state(status: Option<S>, delinquent_since: Option<DateTime<Utc>>) -> BillingState {
        let mut state = BillingState::new("team");
        state.status = status;
        state.delinquent_since = delinquent_since;
        state
    }

    /// What the table in the rustdoc promises, written out independently of
    /// the implementation.
    fn expected(status: S, standing: Standing, in_grace: bool) -> &'static str {
        match (standing, status, in_grace) {
            (Standing::Developer, _, _) => "allowed",
            (_, S::Active | S::Trialing, _) => "allowed",
            (_, S::PastDue | S::Unpaid | S::Incomplete, true) => "grace",
            (Standing::Owner, _, _) => "owner only",
            (Standing::Member, _, _) => "denied",
        }
    }

    fn kind(access: &Access) -> &'static str {
        match access {
            Access::Allowed => "allowed",
            Access::Grace { .. } => "grace",
            Access::OwnerOnly(_) => "owner only",
            Access::Denied(_) => "denied",
        }
    }

    #[test]
    fn every_status_and_standing_follows_the_documented_table() {
        let policy = BillingPolicy::default();
        let since = at(1_000 * DAY);
        let within = since + Duration::days(3);
        let after = since + Duration::days(8);
        for status in S::ALL {
            for standing in Standing::ALL {
                for (now, in_grace) in [(within, true), (after, false)] {
                    let access = policy.access(&state(Some(status), Some(since)), standing, now);
                    assert_eq!(
                        kind(&access),
                        expected(status, standing, in_grace),
                        "{status} / {standing:?} / in grace: {in_grace}"
                    );
                    assert_eq!(access.is_allowed(), kind(&access) != "denied");
                }
            }
        }
    }

    #[test]
    fn an_organization_without_subscription_lets_everyone_act() {
        let policy = BillingPolicy::default();
        for standing in Standing::ALL {
            assert_eq!(
                policy.access(&state(None, None), standing, at(0)),
                Access::Allowed
            );
        }
    }

    #[test]
    fn member_is_refused_once_past_due_outlives_grace() {
        let since = at(10 * DAY);
        let access = BillingPolicy::default().access(
            &state(Some(S::PastDue), Some(since)),
            Standing::Member,
            at(20 * DAY),
        );
        assert_eq!(
            access,
            Access::Denied(Lapse {
                status: S::PastDue,
                since: Some(at(17 * DAY)),
            })
        );
    }

    #[test]
    fn grace_tells_when_it_ends_and_ends_exactly_then() {
        let policy = BillingPolicy::new(Duration::days(2));
        let state = state(Some(S::Unpaid), Some(at(DAY)));
        assert_eq!(
            policy.access(&state, Standing::Member, at(3 * DAY - 1)),
            Access::Grace {
                ends_at: at(3 * DAY)
            }
        );
        assert!(
            !policy
                .access(&state, Standing::Member, at(3 * DAY))
                .is_allowed()
        );
    }

    #[test]
    fn owner_keeps_access_after_cancellation_to_fix_billing() {
        let since = at(5 * DAY);
        let access = BillingPolicy::default().access(
            &state(Some(S::Canceled), Some(since)),
            Standing::Owner,
            since,
        );
        assert_eq!(
            access,
            Access::OwnerOnly(Lapse {
                status: S::Canceled,
                since: Some(since),
            })
        );
    }

    #[test]
    fn a_grace_status_without_its_start_time_counts_as_lapsed() {
        let policy = BillingPolicy::default();
        let access = policy.access(&state(Some(S::PastDue), None), Standing::Member, at(0));
        assert_eq!(
            access,
            Access::Denied(Lapse {
                status: S::PastDue,
                since: None
            })
        );
    }

    #[test]
    fn zero_or_negative_grace_lapses_at_once() {
        for grace in [Duration::zero(), Duration::days(-3)] {
            let policy = BillingPolicy::new(grace);
            assert_eq!(policy.grace_period(), Duration::zero());
            let access = policy.access(
                &state(Some(S::PastDue), Some(at(DAY))),
                Standing::Member,
                at(DAY),
            );
            assert!(!access.is_allowed());
        }
    }

    #[test]
    fn a_grace_period_reaching_past_the_calendar_never_ends() {
        let policy = BillingPolicy::new(Duration::MAX);
        let access = policy.access(
            &state(Some(S::PastDue), Some(at(0))),
            Standing::Member,
            at(DAY),
        );
        assert_eq!(
            access,
            Access::Grace {
                ends_at: DateTime::<Utc>::MAX_UTC
            }
        );
    }

    #[test]
    fn the_default_grace_period_is_seven_days() {
        assert_eq!(BillingPolicy::default().grace_period(), Duration::days(7));
    }
}
