//! The one rule that decides whether, and how, a principal acts for an
//! organization.
//!
//! Every way in (a request through `tenancy-axum`'s layer, a sign-in)
//! asks the same question of the same facts: the request's context, the
//! billing policy and the clock. [`admit`] answers it as a pure function,
//! so that the layer and [`sign_in`](crate::sign_in) cannot drift apart and
//! the rule can be tested without a database.

use chrono::{DateTime, Utc};
use tenancy_core::Scope;

use crate::billing::{Access, BillingPolicy, Standing};
use crate::session::RequestContext;

/// A principal let in: the scope it acts through, how it stands in the
/// organization, and what billing allows it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Admitted {
    /// The scope of the principal's work in the organization.
    pub scope: Scope,
    /// Owner, member or developer.
    pub standing: Standing,
    /// What billing allows: everything, a grace period, or (the owner
    /// alone) access to fix a lapse.
    pub access: Access,
}

/// Why a principal may not act for an organization.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The principal named no organization and belongs to none.
    #[error("the principal belongs to no organization")]
    NoOrganization,
    /// The organization named is one the principal is no active member
    /// of, or does not exist: the two look alike, so that ids cannot be
    /// probed.
    #[error("not a member of this organization")]
    NotAMember,
    /// The organization was deactivated: nobody but developers acts for it.
    #[error("the organization is deactivated")]
    OrganizationInactive,
    /// The organization's billing lapsed and the principal is not its
    /// owner.
    #[error("the organization's billing has lapsed")]
    BillingLapsed {
        /// Whom to contact: the owner's email, when known.
        contact: Option<String>,
    },
}

/// Whether the principal of `context` may be let into its organization at
/// all, whatever the billing and the organization's state: the
/// organization exists (it has a billing state) and the principal is an
/// active member of it or a developer.
pub(crate) fn belongs(context: &RequestContext) -> bool {
    context.billing.is_some() && (context.is_member || context.is_developer)
}

/// Whether the principal of `context` acts for its organization now, and
/// how: developers always (the app's own staff, never held back by a
/// customer's billing or deactivation); active members of an active
/// organization while its billing is good or in grace; once it lapsed, the
/// owner alone.
///
/// # Errors
///
/// The [`Refusal`] that applies, checked in the order of its variants.
pub fn admit(
    context: &RequestContext,
    policy: &BillingPolicy,
    now: DateTime<Utc>,
) -> Result<Admitted, Refusal> {
    let org = context.org.ok_or(Refusal::NoOrganization)?;
    let billing = match &context.billing {
        Some(billing) if belongs(context) => billing,
        _ => return Err(Refusal::NotAMember),
    };
    let (scope, standing) = if context.is_developer {
        (Scope::for_developer(org, context.user), Standing::Developer)
    } else {
        let standing = if context.owner == Some(context.user) {
            Standing::Owner
        } else {
            Standing::Member
        };
        (Scope::for_member(org, context.user), standing)
    };
    if !context.org_active && standing != Standing::Developer {
        return Err(Refusal::OrganizationInactive);
    }
    match policy.access(billing, standing, now) {
        Access::Denied(_) => Err(Refusal::BillingLapsed {
            contact: context.owner_email.clone(),
        }),
        access => Ok(Admitted {
            scope,
            standing,
            access,
        }),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use tenancy_core::{Actor, OrgId, UserId};

    use super::*;
    use crate::billing::{BillingState, SubscriptionStatus};
    use crate::permission::PermissionSet;

    const ORG: OrgId = OrgId::new(7);
    const OWNER: UserId = UserId::new(1);
    const MEMBER: UserId = UserId::new(2);

    fn context(user: UserId) -> RequestContext {
        RequestContext {
            user,
            is_developer: false,
            session: None,
            selected_org: None,
            memberships: vec![ORG],
            org: Some(ORG),
            is_member: true,
            org_active: true,
            owner: Some(OWNER),
            owner_email: Some("owner@shop.example".into()),
            billing: Some(BillingState::new("free")),
            permissions: PermissionSet::default(),
        }
    }

    fn lapsed(mut context: RequestContext, now: DateTime<Utc>) -> RequestContext {
        let mut billing = BillingState::new("team");
        billing.status = Some(SubscriptionStatus::Canceled);
        billing.delinquent_since = Some(now - Duration::days(60));
        context.billing = Some(billing);
        context
    }

    #[test]
    fn members_act_as_members_and_the_owner_as_owner() {
        let now = Utc::now();
        let policy = BillingPolicy::default();
        let member = admit(&context(MEMBER), &policy, now).unwrap();
        assert_eq!(member.standing, Standing::Member);
        assert_eq!(member.scope.actor(), &Actor::Member { user: MEMBER });
        assert_eq!(member.scope.org(), ORG);
        assert_eq!(
            admit(&context(OWNER), &policy, now).unwrap().standing,
            Standing::Owner
        );
    }

    #[test]
    fn each_refusal_has_one_cause() {
        let now = Utc::now();
        let policy = BillingPolicy::default();
        let mut none = context(MEMBER);
        none.org = None;
        assert_eq!(admit(&none, &policy, now), Err(Refusal::NoOrganization));
        let mut stranger = context(MEMBER);
        stranger.is_member = false;
        assert_eq!(admit(&stranger, &policy, now), Err(Refusal::NotAMember));
        let mut missing = context(MEMBER);
        missing.billing = None;
        assert_eq!(admit(&missing, &policy, now), Err(Refusal::NotAMember));
        let mut inactive = context(OWNER);
        inactive.org_active = false;
        assert_eq!(
            admit(&inactive, &policy, now),
            Err(Refusal::OrganizationInactive)
        );
        assert_eq!(
            admit(&lapsed(context(MEMBER), now), &policy, now),
            Err(Refusal::BillingLapsed {
                contact: Some("owner@shop.example".into())
            })
        );
    }

    #[test]
    fn a_lapse_leaves_the_owner_and_developers_in() {
        let now = Utc::now();
        let policy = BillingPolicy::default();
        let owner = admit(&lapsed(context(OWNER), now), &policy, now).unwrap();
        assert!(
            matches!(owner.access, Access::OwnerOnly(_)),
            "{:?}",
            owner.access
        );
        let mut developer = lapsed(context(UserId::new(9)), now);
        developer.is_developer = true;
        developer.is_member = false;
        developer.org_active = false;
        let admitted = admit(&developer, &policy, now).unwrap();
        assert_eq!(admitted.standing, Standing::Developer);
        assert_eq!(admitted.access, Access::Allowed);
    }
}
