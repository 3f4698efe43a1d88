//! The organization itself: created with its owner, read by its members,
//! renamed and set up by those who manage it, deactivated by the app's
//! staff.

use crate::store::KEY;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::Acquire;
use tenancy_core::{Actor, ActsAcrossOrgs, Error, OrgId, Result, Scope, UserId};

use crate::event_log::{EventKind, NewEvent};
use crate::rules::{checked_name, event, record};
use crate::store::AccessStore;

/// The permission key that lets a member rename the organization and
/// change its settings. The owner, developers and jobs may anyway;
/// declare it in your permissions to give it through a role.
pub const MANAGE_ORGANIZATION: &str = "organization.manage";

/// An organization as its members see it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Organization {
    /// The organization's id.
    pub id: OrgId,
    /// How it is shown.
    pub name: String,
    /// Its owner.
    pub owner: Option<UserId>,
    /// Its subscription tier.
    pub tier: String,
    /// The IANA time zone its days start and end in.
    pub timezone: String,
    /// Whether anyone but the app's developers may act for it.
    pub is_active: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// What [`update_organization`] changes: the fields that are `Some`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrganizationChanges {
    /// A new name.
    pub name: Option<String>,
    /// A new IANA time zone (`Europe/Paris`).
    pub timezone: Option<String>,
}

impl OrganizationChanges {
    /// No change yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Renames the organization.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Moves the organization to another time zone.
    #[must_use]
    pub fn timezone(mut self, timezone: impl Into<String>) -> Self {
        self.timezone = Some(timezone.into());
        self
    }
}

/// An IANA time zone name the time zone database knows.
///
/// # Errors
///
/// [`Error::Invalid`] naming `timezone` otherwise.
pub(crate) fn checked_timezone(timezone: &str) -> Result<String> {
    let timezone = timezone.trim();
    timezone
        .parse::<chrono_tz::Tz>()
        .map(|tz| tz.name().to_owned())
        .map_err(|_| {
            Error::invalid(
                "timezone",
                "is not a time zone of the IANA database (such as `Europe/Paris` or `UTC`)",
            )
        })
}

/// A new organization owned by `owner`, who becomes its first member.
///
/// # Errors
///
/// [`Error::Invalid`] naming `name` for an empty or overlong name;
/// [`Error::Conflict`] when `owner` or `tier` does not exist.
pub async fn create_organization<'c, A, DB>(
    conn: A,
    system: &impl ActsAcrossOrgs,
    name: &str,
    owner: UserId,
    tier: &str,
) -> Result<OrgId>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let reason = system.acting_reason().to_owned();
    let name = checked_name("name", name)?;
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    let org = insert_organization::<DB>(&mut tx, &name, owner, tier, &reason).await?;
    tx.commit().await?;
    Ok(org)
}

/// Inserts an organization whose name is checked, owned by `owner`, with
/// its audit rows, in the caller's transaction.
pub(crate) async fn insert_organization<DB: AccessStore>(
    tx: &mut DB::Connection,
    name: &str,
    owner: UserId,
    tier: &str,
    reason: &str,
) -> Result<OrgId> {
    let org = DB::__create_org(KEY, tx, name, owner, tier).await?;
    let detail = json!({ "name": name, "tier": tier, "reason": reason });
    let record_it = NewEvent::new(
        Some(org),
        EventKind::OrganizationCreated,
        Some(owner),
        None,
        detail,
    );
    record::<DB>(tx, record_it).await?;
    let joined = NewEvent::new(
        Some(org),
        EventKind::MemberAdded,
        Some(owner),
        None,
        json!({ "owner": true }),
    );
    record::<DB>(tx, joined).await?;
    Ok(org)
}

/// The scope's organization.
///
/// # Errors
///
/// [`Error::NotFound`] when it does not exist.
pub async fn organization<'c, A, DB>(conn: A, scope: &Scope) -> Result<Organization>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let mut conn = crate::store::acquire(conn).await?;
    DB::__organization(KEY, &mut conn, scope.org()).await
}

/// Every organization, by name: work across organizations only (the app's
/// staff choosing where to act, a billing job).
///
/// # Errors
///
/// [`Error::Database`] when the statement fails.
pub async fn organizations<'c, A, DB>(
    conn: A,
    system: &impl ActsAcrossOrgs,
) -> Result<Vec<Organization>>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let _ = system.acting_reason();
    let mut conn = crate::store::acquire(conn).await?;
    DB::__organizations(KEY, &mut conn).await
}

/// Renames the scope's organization or changes its time zone. Only the
/// owner, a member holding [`MANAGE_ORGANIZATION`], a developer or a job
/// may.
///
/// # Errors
///
/// [`Error::Forbidden`] for anyone else; [`Error::Invalid`] naming `name`
/// or `timezone` for a value that is not one.
pub async fn update_organization<'c, A, DB>(
    conn: A,
    scope: &Scope,
    changes: OrganizationChanges,
) -> Result<Organization>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let name = changes
        .name
        .as_deref()
        .map(|n| checked_name("name", n))
        .transpose()?;
    let timezone = changes
        .timezone
        .as_deref()
        .map(checked_timezone)
        .transpose()?;
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    let before = DB::__organization(KEY, &mut tx, scope.org()).await?;
    if let Actor::Member { user } = scope.actor()
        && before.owner != Some(*user)
    {
        let held = DB::__permissions(KEY, &mut tx, scope.org(), Some(*user), false).await?;
        if !held.has_key(MANAGE_ORGANIZATION) {
            return Err(Error::Forbidden);
        }
    }
    let name = name.unwrap_or_else(|| before.name.clone());
    let timezone = timezone.unwrap_or_else(|| before.timezone.clone());
    DB::__update_org(KEY, &mut tx, scope.org(), &name, &timezone, Utc::now()).await?;
    let detail = json!({
        "from": { "name": before.name, "timezone": before.timezone },
        "to": { "name": name, "timezone": timezone },
    });
    record::<DB>(
        &mut tx,
        event(scope, EventKind::OrganizationChanged, None, detail),
    )
    .await?;
    let after = DB::__organization(KEY, &mut tx, scope.org()).await?;
    tx.commit().await?;
    Ok(after)
}

/// Deactivates an organization (nobody but the app's developers may act
/// for it, from the next request on: see [`admit`](crate::admit)) or
/// reactivates it: the app's staff decide, not its members.
///
/// # Errors
///
/// [`Error::NotFound`] when it does not exist.
pub async fn set_organization_active<'c, A, DB>(
    conn: A,
    system: &impl ActsAcrossOrgs,
    org: OrgId,
    active: bool,
) -> Result<()>
where
    A: Acquire<'c, Database = DB> + Send + 'c,
    DB: AccessStore,
{
    let reason = system.acting_reason().to_owned();
    let mut conn = crate::store::acquire(conn).await?;
    let mut tx = DB::__begin(KEY, &mut conn).await?;
    DB::__organization(KEY, &mut tx, org).await?;
    if DB::__set_org_active(KEY, &mut tx, org, active, Utc::now()).await? {
        let detail = json!({ "active": active, "reason": reason });
        let record_it = NewEvent::new(
            Some(org),
            EventKind::OrganizationActivation,
            None,
            None,
            detail,
        );
        record::<DB>(&mut tx, record_it).await?;
    }
    tx.commit().await?;
    Ok(())
}
