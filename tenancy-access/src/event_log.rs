//! The audit log (`user_event_log`): who did what to access and billing,
//! written in the same transaction as the change it records, and the app's
//! own events beside them.
//!
//! Rows of one organization carry its id; what happens outside any
//! organization (a developer's sign-in, a failed login for an unknown
//! email) has none. Nothing outside this crate writes a row but through
//! [`record_app_event`](crate::record_app_event), which takes the
//! organization and the actor from the scope, so an app cannot forge a
//! library event or another organization's.

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
    /// A user was created.
    UserCreated,
    /// A user's password was set or changed.
    PasswordChanged,
    /// A session was issued to a user the app authenticated itself.
    SessionIssued,
    /// A user's sessions were revoked.
    SessionsRevoked,
    /// A user became a member.
    MemberAdded,
    /// A member was deactivated, with their roles.
    MemberDeactivated,
    /// A member was restored, with the roles their deactivation took.
    MemberRestored,
    /// A role was created.
    RoleCreated,
    /// A role was renamed, deactivated or reactivated.
    RoleChanged,
    /// The declared permissions were written to the permission table.
    PermissionsSynced,
    /// A permission was granted to a role.
    PermissionGranted,
    /// A permission was taken from a role.
    PermissionRemoved,
    /// A role was given to a member.
    RoleAssigned,
    /// A member's role was taken away.
    RoleRevoked,
    /// The organization was created.
    OrganizationCreated,
    /// The organization's name or settings changed.
    OrganizationChanged,
    /// The organization was deactivated or reactivated.
    OrganizationActivation,
    /// The organization changed owner.
    OwnershipTransferred,
    /// Someone was invited to join.
    InvitationCreated,
    /// An invitation was accepted.
    InvitationAccepted,
    /// An invitation was revoked.
    InvitationRevoked,
    /// A developer started acting inside an organization.
    DeveloperOrgSwitch,
    /// The organization's billing state changed.
    BillingStateChanged,
    /// The organization was tied to a Stripe customer.
    BillingCustomerLinked,
    /// An event the app named (see [`record_app_event`](crate::record_app_event)).
    App(&'static str),
}

/// The areas of the library's own event names, which app events may not
/// use, so that no app event reads as one of the library's.
const LIBRARY_AREAS: [&str; 12] = [
    "login",
    "user",
    "password",
    "session",
    "member",
    "role",
    "permission",
    "organization",
    "ownership",
    "invitation",
    "developer",
    "billing",
];

impl EventKind {
    /// The stored name, `area.event`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::LoginSucceeded => "login.succeeded",
            Self::LoginFailed => "login.failed",
            Self::UserCreated => "user.created",
            Self::PasswordChanged => "password.changed",
            Self::SessionIssued => "session.issued",
            Self::SessionsRevoked => "session.revoked_all",
            Self::MemberAdded => "member.added",
            Self::MemberDeactivated => "member.deactivated",
            Self::MemberRestored => "member.restored",
            Self::RoleCreated => "role.created",
            Self::RoleChanged => "role.changed",
            Self::PermissionsSynced => "permission.synced",
            Self::PermissionGranted => "permission.granted",
            Self::PermissionRemoved => "permission.removed",
            Self::RoleAssigned => "role.assigned",
            Self::RoleRevoked => "role.revoked",
            Self::OrganizationCreated => "organization.created",
            Self::OrganizationChanged => "organization.changed",
            Self::OrganizationActivation => "organization.activation",
            Self::OwnershipTransferred => "ownership.transferred",
            Self::InvitationCreated => "invitation.created",
            Self::InvitationAccepted => "invitation.accepted",
            Self::InvitationRevoked => "invitation.revoked",
            Self::DeveloperOrgSwitch => "developer.org_switch",
            Self::BillingStateChanged => "billing.state_changed",
            Self::BillingCustomerLinked => "billing.customer_linked",
            Self::App(kind) => kind,
        }
    }

    /// Whether `kind` may name an app event: `area.event` (as permission
    /// keys are) in an area that is not one of the library's.
    #[must_use]
    pub fn is_valid_app_kind(kind: &str) -> bool {
        crate::is_valid_key(kind)
            && kind
                .split_once('.')
                .is_some_and(|(area, _)| !LIBRARY_AREAS.contains(&area))
    }
}

impl Serialize for EventKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// What an event is about: a kind of thing and its id (`batch` 42).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Subject {
    /// The kind of thing, a lower-case word (`batch`).
    pub kind: String,
    /// Its id.
    pub id: i64,
}

impl Subject {
    /// The thing `kind` with this id.
    #[must_use]
    pub fn new(kind: impl Into<String>, id: i64) -> Self {
        Self {
            kind: kind.into(),
            id,
        }
    }
}

/// An audit row to write.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    /// The organization it happened in, if any.
    pub(crate) organization_id: Option<OrgId>,
    /// The user it happened to, if any.
    pub(crate) user_id: Option<UserId>,
    /// The user who did it, if any (`None` for jobs and webhooks).
    pub(crate) actor_id: Option<UserId>,
    /// What happened.
    pub(crate) kind: EventKind,
    /// What it is about, for app events.
    pub(crate) subject: Option<Subject>,
    /// The particulars, as JSON.
    pub(crate) detail: serde_json::Value,
}

impl NewEvent {
    /// An event of the library's, about no subject.
    pub(crate) fn new(
        organization_id: Option<OrgId>,
        kind: EventKind,
        user_id: Option<UserId>,
        actor_id: Option<UserId>,
        detail: serde_json::Value,
    ) -> Self {
        Self {
            organization_id,
            user_id,
            actor_id,
            kind,
            subject: None,
            detail,
        }
    }
}

/// An audit row as stored.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
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
    /// What it is about, for app events.
    pub subject: Option<Subject>,
    /// The particulars.
    pub detail: serde_json::Value,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

/// Which audit rows to list, newest first: every field narrows the list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditQuery {
    /// Only events of this name (`role.assigned`).
    pub event: Option<String>,
    /// Only events that happened to this user.
    pub user: Option<UserId>,
    /// Only events this user did.
    pub actor: Option<UserId>,
    /// Only events about this subject.
    pub subject: Option<Subject>,
    /// Only events written at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only events written before this time.
    pub until: Option<DateTime<Utc>>,
    /// The page after the one that ended here ([`AuditPage::next`]).
    pub after: Option<AuditCursor>,
    /// At most this many rows: 1 to [`AuditQuery::MAX_LIMIT`], 50 when
    /// zero.
    pub limit: u32,
}

impl AuditQuery {
    /// The most rows one page holds.
    pub const MAX_LIMIT: u32 = 500;

    /// The first page of every event, 50 rows.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Only events of this name.
    #[must_use]
    pub fn event(mut self, event: impl Into<String>) -> Self {
        self.event = Some(event.into());
        self
    }

    /// Only events that happened to `user`.
    #[must_use]
    pub fn user(mut self, user: UserId) -> Self {
        self.user = Some(user);
        self
    }

    /// Only events `actor` did.
    #[must_use]
    pub fn actor(mut self, actor: UserId) -> Self {
        self.actor = Some(actor);
        self
    }

    /// Only events about `subject`.
    #[must_use]
    pub fn subject(mut self, subject: Subject) -> Self {
        self.subject = Some(subject);
        self
    }

    /// Only events written in `[since, until)`.
    #[must_use]
    pub fn between(mut self, since: DateTime<Utc>, until: DateTime<Utc>) -> Self {
        self.since = Some(since);
        self.until = Some(until);
        self
    }

    /// The page after `cursor`.
    #[must_use]
    pub fn after(mut self, cursor: AuditCursor) -> Self {
        self.after = Some(cursor);
        self
    }

    /// At most `limit` rows.
    #[must_use]
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }
}

/// Where a page of the audit log ended: pass it to [`AuditQuery::after`]
/// for the next one. Stable under new writes, which land on earlier pages.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct AuditCursor(pub(crate) i64);

impl AuditCursor {
    /// The cursor as a number, for a query string.
    #[must_use]
    pub fn get(self) -> i64 {
        self.0
    }

    /// A cursor a client sent back.
    #[must_use]
    pub fn new(value: i64) -> Self {
        Self(value)
    }
}

/// One page of the audit log, newest first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct AuditPage {
    /// The rows.
    pub events: Vec<LoggedEvent>,
    /// Where to continue; `None` on the last page.
    pub next: Option<AuditCursor>,
}

#[cfg(test)]
mod tests {
    use super::EventKind;

    #[test]
    fn app_kinds_are_area_dot_event_outside_the_library_areas() {
        assert!(EventKind::is_valid_app_kind("batch.started"));
        assert!(EventKind::is_valid_app_kind("stock.adjusted"));
        for bad in [
            "role.assigned",
            "login.succeeded",
            "batch",
            "Batch.started",
            "a.b.c",
        ] {
            assert!(!EventKind::is_valid_app_kind(bad), "{bad}");
        }
    }

    #[test]
    fn library_kinds_are_in_library_areas() {
        for kind in [
            EventKind::LoginSucceeded,
            EventKind::PasswordChanged,
            EventKind::SessionsRevoked,
            EventKind::InvitationAccepted,
            EventKind::OrganizationActivation,
            EventKind::PermissionRemoved,
        ] {
            assert!(crate::is_valid_key(kind.as_str()), "{}", kind.as_str());
            assert!(
                !EventKind::is_valid_app_kind(kind.as_str()),
                "{}",
                kind.as_str()
            );
        }
    }
}
