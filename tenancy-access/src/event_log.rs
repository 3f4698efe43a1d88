//! The audit log (`user_event_log`): who did what to access and billing,
//! written in the same transaction as the change it records.
//!
//! Rows of one organization carry its id; what happens outside any
//! organization (a developer's sign-in, a failed login for an unknown
//! email) has none.

use chrono::{DateTime, Utc};
use serde::Serialize;

use tenancy_core::{OrgId, UserId};

/// What an audit row records; serialized as its stored name
/// (`"login.succeeded"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventKind {
    /// A user signed in.
    LoginSucceeded,
    /// A sign-in was refused.
    LoginFailed,
    /// A role was given to a member.
    RoleAssigned,
    /// A member's role was taken away.
    RoleRevoked,
    /// A member was deactivated, with their roles.
    MemberDeactivated,
    /// A member was restored, with the roles their deactivation took.
    MemberRestored,
    /// The organization changed owner.
    OwnershipTransferred,
    /// A developer started acting inside an organization.
    DeveloperOrgSwitch,
    /// The organization's billing state changed.
    BillingStateChanged,
}

impl EventKind {
    /// The stored name, `area.event`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::LoginSucceeded => "login.succeeded",
            Self::LoginFailed => "login.failed",
            Self::RoleAssigned => "role.assigned",
            Self::RoleRevoked => "role.revoked",
            Self::MemberDeactivated => "member.deactivated",
            Self::MemberRestored => "member.restored",
            Self::OwnershipTransferred => "ownership.transferred",
            Self::DeveloperOrgSwitch => "developer.org_switch",
            Self::BillingStateChanged => "billing.state_changed",
        }
    }
}

impl Serialize for EventKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// An audit row to write.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    /// The organization it happened in, if any.
    pub organization_id: Option<OrgId>,
    /// The user it happened to, if any.
    pub user_id: Option<UserId>,
    /// The user who did it, if any (`None` for jobs and webhooks).
    pub actor_id: Option<UserId>,
    /// What happened.
    pub kind: EventKind,
    /// The particulars, as JSON.
    pub detail: serde_json::Value,
}

/// An audit row as stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LoggedEvent {
    /// The row's id, in the order events were written.
    pub id: i64,
    /// The organization it happened in, if any.
    pub organization_id: Option<OrgId>,
    /// The user it happened to, if any.
    pub user_id: Option<UserId>,
    /// The user who did it, if any.
    pub actor_id: Option<UserId>,
    /// What happened, `area.event`.
    pub event: String,
    /// The particulars.
    pub detail: serde_json::Value,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}
