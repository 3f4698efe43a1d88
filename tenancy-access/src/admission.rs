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
    // No billing state: the organization does not exist.
    let billing = context.billing.as_ref().ok_or(Refusal::NotAMember)?;
    let (scope, standing) = if context.is_developer {
        (Scope::for_developer(org, context.user), Standing::Developer)
    } else if context.is_member {
        let standing = if context.owner == Some(context.user) {
            Standing::Owner
        } else {
            Standing::Member
        };
        (Scope::for_member(org, context.user), standing)
    } else {
        return Err(Refusal::NotAMember);
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
