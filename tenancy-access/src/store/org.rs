//! The statements of organizations and their billing state, once per
//! backend: created with their owner, read and changed by the rules of
//! `organization`, `members` and `billing`, and Stripe's events claimed
//! once each.

// Without a backend feature nothing instantiates the statements below.
#![cfg_attr(
    not(any(feature = "sqlite", feature = "postgres")),
    allow(dead_code, unused_imports, unused_macros)
)]

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use sqlx::Connection;
use tenancy_core::{Backend, Error, OrgId, Result, UserId};

use super::Key;
use crate::billing::{BillingState, SubscriptionStatus};
use crate::organization::Organization;

/// The organization's row, as access rules read it.
#[doc(hidden)]
#[derive(Clone, Debug)]
pub struct OrgRow {
    /// The owner.
    pub owner: Option<UserId>,
    /// The billing state.
    pub billing: BillingState,
}

/// The statements of organizations.
#[doc(hidden)]
pub trait OrgStore: Backend {
    /// The organization's owner and billing state.
    fn __org_row(_: Key, conn: &mut Self::Connection, org: OrgId) -> BoxFuture<'_, Result<OrgRow>>;
    /// The same, locked for update on PostgreSQL until the transaction
    /// ends, so that changes of one organization apply one after the other.
    fn __org_row_for_update(
        _: Key,
        conn: &mut Self::Connection,
        org: OrgId,
    ) -> BoxFuture<'_, Result<OrgRow>>;
    /// Writes the organization's billing state.
    fn __save_billing<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        org: OrgId,
        state: &'a BillingState,
    ) -> BoxFuture<'a, Result<()>>;
    /// The organization whose Stripe customer this is.
    fn __org_for_customer<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        customer: &'a str,
    ) -> BoxFuture<'a, Result<Option<OrgId>>>;
    /// Records a Stripe event id; `false` when it was already recorded.
    fn __claim_event<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        event_id: &'a str,
        org: Option<OrgId>,
        event_type: &'a str,
        outcome: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<bool>>;
    /// A new organization owned by `owner`, with the owner's membership.
    fn __create_org<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        name: &'a str,
        owner: UserId,
        tier: &'a str,
    ) -> BoxFuture<'a, Result<OrgId>>;
    /// The organization as its members see it.
    fn __organization(
        _: Key,
        conn: &mut Self::Connection,
        org: OrgId,
    ) -> BoxFuture<'_, Result<Organization>>;
    /// Every organization, by name then id.
    fn __organizations(
        _: Key,
        conn: &mut Self::Connection,
    ) -> BoxFuture<'_, Result<Vec<Organization>>>;
    /// Renames the organization and sets its time zone.
    fn __update_org<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        org: OrgId,
        name: &'a str,
        timezone: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<()>>;
    /// Activates or deactivates the organization; `false` when it already
    /// was so.
    fn __set_org_active(
        _: Key,
        conn: &mut Self::Connection,
        org: OrgId,
        active: bool,
        now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<bool>>;
    /// Makes `owner` the owner of `org`.
    fn __set_owner(
        _: Key,
        conn: &mut Self::Connection,
        org: OrgId,
        owner: UserId,
    ) -> BoxFuture<'_, Result<()>>;
}

/// Decodes a stored subscription status; an unknown one is an error of the
/// data, reported rather than guessed.
fn status(raw: Option<String>) -> Result<Option<SubscriptionStatus>> {
    raw.map(|s| {
        s.parse().map_err(|_| {
            Error::Database(sqlx::Error::Decode(
                format!("unknown subscription status `{s}` in organizations").into(),
            ))
        })
    })
    .transpose()
}

/// The organization's owner and billing state.
const ORG_ROW: &str = "SELECT owner_id, tier, subscription_status, stripe_customer_id, \
    stripe_subscription_id, delinquent_since, billing_event_at FROM organizations WHERE id = $1";

type OrgColumns = (
    Option<i64>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

pub(crate) fn org_row(columns: OrgColumns) -> Result<OrgRow> {
    let (owner, tier, raw_status, customer, subscription, delinquent_since, last_event_at) =
        columns;
    let mut billing = BillingState::new(tier);
    billing.status = status(raw_status)?;
    billing.stripe_customer_id = customer;
    billing.stripe_subscription_id = subscription;
    billing.delinquent_since = delinquent_since;
    billing.last_event_at = last_event_at;
    Ok(OrgRow {
        owner: owner.map(UserId::new),
        billing,
    })
}

/// A row of `SELECT id, name, owner_id, tier, timezone, is_active,
/// created_at FROM organizations`.
type OrganizationRow = (
    i64,
    String,
    Option<i64>,
    String,
    String,
    bool,
    DateTime<Utc>,
);

fn organization_of(
    (id, name, owner, tier, timezone, is_active, created_at): OrganizationRow,
) -> Organization {
    Organization {
        id: OrgId::new(id),
        name,
        owner: owner.map(UserId::new),
        tier,
        timezone,
        is_active,
        created_at,
    }
}

macro_rules! impl_org_store {
    ($feature:literal, $db:ty, $lock:literal) => {
        #[cfg(feature = $feature)]
        impl OrgStore for $db {
            fn __org_row(_: Key, conn: &mut Self::Connection, org: OrgId) -> BoxFuture<'_, Result<OrgRow>> {
                Box::pin(async move {
                    let columns: Option<OrgColumns> = sqlx::query_as(ORG_ROW)
                        .bind(org)
                        .fetch_optional(conn)
                        .await?;
                    org_row(columns.ok_or(Error::NotFound { table: "organizations" })?)
                })
            }
            fn __org_row_for_update(_: Key, conn: &mut Self::Connection, org: OrgId) -> BoxFuture<'_, Result<OrgRow>> {
                Box::pin(async move {
                    let columns: Option<OrgColumns> = sqlx::query_as(concat!(
                        "SELECT owner_id, tier, subscription_status, stripe_customer_id, \
                         stripe_subscription_id, delinquent_since, billing_event_at \
                         FROM organizations WHERE id = $1",
                        $lock
                    ))
                    .bind(org)
                    .fetch_optional(conn)
                    .await?;
                    org_row(columns.ok_or(Error::NotFound { table: "organizations" })?)
                })
            }
            fn __save_billing<'a>(_: Key,
                conn: &'a mut Self::Connection,
                org: OrgId,
                state: &'a BillingState,
            ) -> BoxFuture<'a, Result<()>> {
                Box::pin(async move {
                    sqlx::query(
                        // A tier Stripe names that the table does not know keeps
                        // the current one, rather than failing the webhook forever.
                        "UPDATE organizations SET \
                         tier = COALESCE((SELECT key FROM subscription_tiers WHERE key = $2), tier), \
                         subscription_status = $3, stripe_customer_id = $4, stripe_subscription_id = $5, \
                         delinquent_since = $6, billing_event_at = $7 WHERE id = $1",
                    )
                    .bind(org)
                    .bind(&state.tier)
                    .bind(state.status.map(SubscriptionStatus::as_str))
                    .bind(state.stripe_customer_id.as_deref())
                    .bind(state.stripe_subscription_id.as_deref())
                    .bind(state.delinquent_since)
                    .bind(state.last_event_at)
                    .execute(conn)
                    .await?;
                    Ok(())
                })
            }
            fn __org_for_customer<'a>(_: Key,
                conn: &'a mut Self::Connection,
                customer: &'a str,
            ) -> BoxFuture<'a, Result<Option<OrgId>>> {
                Box::pin(async move {
                    let org: Option<OrgId> =
                        sqlx::query_scalar("SELECT id FROM organizations WHERE stripe_customer_id = $1")
                            .bind(customer)
                            .fetch_optional(conn)
                            .await?;
                    Ok(org)
                })
            }
            fn __claim_event<'a>(_: Key,
                conn: &'a mut Self::Connection,
                event_id: &'a str,
                org: Option<OrgId>,
                event_type: &'a str,
                outcome: &'a str,
                now: DateTime<Utc>,
            ) -> BoxFuture<'a, Result<bool>> {
                Box::pin(async move {
                    let result = sqlx::query(
                        "INSERT INTO stripe_events (event_id, organization_id, event_type, outcome, received_at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING",
                    )
                    .bind(event_id)
                    .bind(org)
                    .bind(event_type)
                    .bind(outcome)
                    .bind(now)
                    .execute(conn)
                    .await?;
                    Ok(result.rows_affected() == 1)
                })
            }
            fn __create_org<'a>(_: Key,
                conn: &'a mut Self::Connection,
                name: &'a str,
                owner: UserId,
                tier: &'a str,
            ) -> BoxFuture<'a, Result<OrgId>> {
                Box::pin(async move {
                    let mut tx = conn.begin().await?;
                    let org: OrgId = sqlx::query_scalar(
                        "INSERT INTO organizations (name, owner_id, tier) VALUES ($1, $2, $3) RETURNING id",
                    )
                    .bind(name)
                    .bind(owner)
                    .bind(tier)
                    .fetch_one(&mut *tx)
                    .await?;
                    sqlx::query(
                        "INSERT INTO memberships (organization_id, user_id, is_active) VALUES ($1, $2, TRUE)",
                    )
                    .bind(org)
                    .bind(owner)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(org)
                })
            }
            fn __organization(_: Key,
                conn: &mut Self::Connection,
                org: OrgId,
            ) -> BoxFuture<'_, Result<Organization>> {
                Box::pin(async move {
                    let row: Option<OrganizationRow> = sqlx::query_as(
                        "SELECT id, name, owner_id, tier, timezone, is_active, created_at \
                         FROM organizations WHERE id = $1",
                    )
                    .bind(org)
                    .fetch_optional(conn)
                    .await?;
                    row.map(organization_of)
                        .ok_or(Error::NotFound { table: "organizations" })
                })
            }

            fn __organizations(_: Key,
                conn: &mut Self::Connection,
            ) -> BoxFuture<'_, Result<Vec<Organization>>> {
                Box::pin(async move {
                    let rows: Vec<OrganizationRow> = sqlx::query_as(
                        "SELECT id, name, owner_id, tier, timezone, is_active, created_at \
                         FROM organizations ORDER BY name, id",
                    )
                    .fetch_all(conn)
                    .await?;
                    Ok(rows.into_iter().map(organization_of).collect())
                })
            }
            fn __update_org<'a>(_: Key,
                conn: &'a mut Self::Connection,
                org: OrgId,
                name: &'a str,
                timezone: &'a str,
                now: DateTime<Utc>,
            ) -> BoxFuture<'a, Result<()>> {
                Box::pin(async move {
                    sqlx::query("UPDATE organizations SET name = $2, timezone = $3, updated_at = $4 WHERE id = $1")
                        .bind(org)
                        .bind(name)
                        .bind(timezone)
                        .bind(now)
                        .execute(conn)
                        .await?;
                    Ok(())
                })
            }
            fn __set_org_active(_: Key,
                conn: &mut Self::Connection,
                org: OrgId,
                active: bool,
                now: DateTime<Utc>,
            ) -> BoxFuture<'_, Result<bool>> {
                Box::pin(async move {
                    let changed = sqlx::query(
                        "UPDATE organizations SET is_active = $2, updated_at = $3 WHERE id = $1 AND is_active <> $2",
                    )
                    .bind(org)
                    .bind(active)
                    .bind(now)
                    .execute(conn)
                    .await?;
                    Ok(changed.rows_affected() == 1)
                })
            }
            fn __set_owner(_: Key, conn: &mut Self::Connection, org: OrgId, owner: UserId) -> BoxFuture<'_, Result<()>> {
                Box::pin(async move {
                    sqlx::query("UPDATE organizations SET owner_id = $2 WHERE id = $1")
                        .bind(org)
                        .bind(owner)
                        .execute(conn)
                        .await?;
                    Ok(())
                })
            }
        }
    };
}

impl_org_store!("sqlite", sqlx::Sqlite, "");
impl_org_store!(
    "postgres",
    sqlx::Postgres,
    // Not `FOR UPDATE`: that would also block the foreign-key checks of
    // rows naming the organization (the audit log's), which lock it
    // `FOR KEY SHARE`.
    " FOR NO KEY UPDATE"
);
