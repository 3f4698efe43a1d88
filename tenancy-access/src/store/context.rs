//! The statements of sessions and request contexts, once per backend.
//!
//! They are apart from the rest of [`AccessStore`](super::AccessStore)
//! because they run on every request: the context statement reads all a
//! request needs in one round trip, and the check statement tells, in one
//! indexed lookup, whether a context read earlier still holds.

// Without a backend feature nothing instantiates the statements below.
#![cfg_attr(
    not(any(feature = "sqlite", feature = "postgres")),
    allow(dead_code, unused_imports, unused_macros)
)]

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;

use super::Key;

use super::org::org_row;
use crate::permission::PermissionSet;
use crate::session::RequestContext;
use tenancy_core::Backend;
use tenancy_core::Result;
use tenancy_core::{OrgId, UserId};

/// Who a request's credential names, as the statements look it up: a
/// session's token by its hash, or a user the app authenticated.
#[doc(hidden)]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Lookup {
    /// The SHA-256 of a session token.
    TokenHash([u8; 32]),
    /// A user the app authenticated itself.
    User(UserId),
}

/// A request context and the access version it was read at.
#[doc(hidden)]
#[derive(Clone, Debug)]
pub struct Versioned {
    /// The context.
    pub context: RequestContext,
    /// `access_version.version` in the same statement's snapshot.
    pub version: i64,
}

/// What the check statement reads: the live session (none for a user the
/// app authenticated) and the access version now.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Live {
    /// The session's id, user and selected organization.
    pub session: Option<(i64, UserId, Option<OrgId>)>,
    /// `access_version.version` now.
    pub version: i64,
}

/// The statements run for sessions and on every request.
#[doc(hidden)]
pub trait SessionStore: Backend {
    /// Stores a new session, acting in `org` until told otherwise.
    fn __open_session(
        _: Key,
        conn: &mut Self::Connection,
        user: UserId,
        org: Option<OrgId>,
        token_hash: [u8; 32],
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<()>>;

    /// Ends the session with this token hash.
    fn __close_session(
        _: Key,
        conn: &mut Self::Connection,
        token_hash: [u8; 32],
        now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<()>>;

    /// Ends the live sessions of `user` (only those acting in `org`, when
    /// given), but the one with the token hash `keep`; how many ended.
    fn __close_user_sessions<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        user: UserId,
        org: Option<OrgId>,
        keep: Option<&'a [u8; 32]>,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<u64>>;

    /// The context of a request and the access version, in one statement;
    /// `None` when `lookup` names no live session or no user.
    fn __request_context<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        lookup: &'a Lookup,
        requested: Option<OrgId>,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<Versioned>>>;

    /// The live session of `lookup` and the access version, in one indexed
    /// lookup; `None` when the session is unknown, expired or revoked.
    fn __check<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        lookup: &'a Lookup,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<Live>>>;

    /// Records the organization the session of `user` acts in; `false`
    /// when `user` has no such session, or is neither a developer nor an
    /// active member of `org`.
    fn __select_org(
        _: Key,
        conn: &mut Self::Connection,
        session: i64,
        user: UserId,
        org: OrgId,
    ) -> BoxFuture<'_, Result<bool>>;

    /// Whether every trigger that replaces the access version is in place
    /// and enabled.
    fn __version_triggers_in_place(
        _: Key,
        conn: &mut Self::Connection,
    ) -> BoxFuture<'_, Result<bool>>;
}

/// The context of a request: the principal (`$principal` selects it),
/// its organization (`$2`, else its session's, else its first
/// membership), membership, owner, billing, and its permissions
/// aggregated with `$agg`, in one statement.
macro_rules! context_sql {
    // A session's principal, valid now (`$1` the token hash, `$3` now).
    (token, $agg:literal) => {
        context_sql!(
            @ "SELECT u.id AS user_id, u.is_developer, s.id AS session_id, s.selected_org \
               FROM sessions s JOIN users u ON u.id = s.user_id \
               WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $3",
            $agg
        )
    };
    // A principal the app authenticated (`$1` the user id).
    (user, $agg:literal) => {
        context_sql!(
            @ "SELECT u.id AS user_id, u.is_developer, CAST(NULL AS BIGINT) AS session_id, \
               CAST(NULL AS BIGINT) AS selected_org FROM users u WHERE u.id = $1",
            $agg
        )
    };
    (@ $principal:literal, $agg:literal) => {
        concat!(
            "WITH principal AS (", $principal, "), \
             target AS (SELECT p.user_id, p.is_developer, p.session_id, p.selected_org, \
                 COALESCE($2, \
                     CASE WHEN p.is_developer OR EXISTS (SELECT 1 FROM memberships ms \
                         WHERE ms.user_id = p.user_id AND ms.organization_id = p.selected_org \
                         AND ms.is_active) THEN p.selected_org END, \
                     (SELECT MIN(m.organization_id) FROM memberships m \
                         WHERE m.user_id = p.user_id AND m.is_active)) AS org_id \
                 FROM principal p) \
             SELECT t.user_id, t.is_developer, t.session_id, t.selected_org, t.org_id, \
                 o.owner_id, ow.email AS owner_email, o.is_active AS org_active, o.tier, o.subscription_status, o.stripe_customer_id, \
                 o.stripe_subscription_id, o.delinquent_since, o.billing_event_at, \
                 (SELECT ", $agg, " FROM (SELECT CAST(m.organization_id AS TEXT) AS key FROM memberships m \
                     WHERE m.user_id = t.user_id AND m.is_active) pm) AS memberships, \
                 (SELECT ", $agg, " FROM permissions pm \
                     LEFT JOIN subscription_tiers need ON need.key = pm.required_tier \
                     LEFT JOIN subscription_tiers have ON have.key = o.tier \
                     WHERE o.id IS NOT NULL \
                     AND (pm.required_tier IS NULL OR COALESCE(have.rank, 0) >= need.rank) \
                     AND (t.is_developer OR o.owner_id = t.user_id OR EXISTS ( \
                         SELECT 1 FROM user_role_assignments a \
                         JOIN memberships m ON m.organization_id = a.organization_id AND m.id = a.membership_id \
                         JOIN roles r ON r.id = a.role_id \
                         JOIN role_permissions rp ON rp.role_id = r.id \
                         WHERE a.organization_id = o.id AND m.user_id = t.user_id AND rp.permission_id = pm.id \
                         AND a.is_active AND m.is_active AND r.is_active \
                         AND (r.organization_id = o.id OR r.organization_id IS NULL)))) AS permission_keys, \
                 (SELECT v.version FROM access_version v) AS access_version \
             FROM target t \
             LEFT JOIN organizations o ON o.id = t.org_id \
             LEFT JOIN users ow ON ow.id = o.owner_id"
        )
    };
}

/// The columns of the context statement, by name.
struct ContextRow {
    user_id: i64,
    is_developer: bool,
    session_id: Option<i64>,
    selected_org: Option<i64>,
    org_id: Option<i64>,
    owner_id: Option<i64>,
    owner_email: Option<String>,
    org_active: Option<bool>,
    tier: Option<String>,
    subscription_status: Option<String>,
    stripe_customer_id: Option<String>,
    stripe_subscription_id: Option<String>,
    delinquent_since: Option<DateTime<Utc>>,
    billing_event_at: Option<DateTime<Utc>>,
    memberships: Option<String>,
    permission_keys: Option<String>,
    access_version: i64,
}

/// Reads a [`ContextRow`] from a row of the context statement; a macro
/// because sqlx decodes only on a concrete backend.
macro_rules! context_row {
    ($row:expr) => {{
        use sqlx::Row as _;
        let row = $row;
        ContextRow {
            user_id: row.try_get("user_id")?,
            is_developer: row.try_get("is_developer")?,
            session_id: row.try_get("session_id")?,
            selected_org: row.try_get("selected_org")?,
            org_id: row.try_get("org_id")?,
            owner_id: row.try_get("owner_id")?,
            owner_email: row.try_get("owner_email")?,
            org_active: row.try_get("org_active")?,
            tier: row.try_get("tier")?,
            subscription_status: row.try_get("subscription_status")?,
            stripe_customer_id: row.try_get("stripe_customer_id")?,
            stripe_subscription_id: row.try_get("stripe_subscription_id")?,
            delinquent_since: row.try_get("delinquent_since")?,
            billing_event_at: row.try_get("billing_event_at")?,
            memberships: row.try_get("memberships")?,
            permission_keys: row.try_get("permission_keys")?,
            access_version: row.try_get("access_version")?,
        }
    }};
}

fn context(row: ContextRow) -> Result<Versioned> {
    let billing = match row.tier {
        Some(tier) => {
            let columns = (
                row.owner_id,
                tier,
                row.subscription_status,
                row.stripe_customer_id,
                row.stripe_subscription_id,
                row.delinquent_since,
                row.billing_event_at,
            );
            Some(org_row(columns)?.billing)
        }
        None => None,
    };
    let memberships: Vec<OrgId> = row
        .memberships
        .unwrap_or_default()
        .split(',')
        .filter_map(|id| id.parse().ok())
        .map(OrgId::new)
        .collect();
    let org = row.org_id.map(OrgId::new);
    let keys = row.permission_keys.unwrap_or_default();
    let context = RequestContext {
        user: UserId::new(row.user_id),
        is_developer: row.is_developer,
        session: row.session_id,
        selected_org: row.selected_org.map(OrgId::new),
        org,
        is_member: org.is_some_and(|org| memberships.contains(&org)),
        org_active: row.org_active.unwrap_or(false),
        owner: row.owner_id.map(UserId::new),
        owner_email: row.owner_email,
        memberships,
        billing,
        permissions: PermissionSet::from_keys(
            keys.split(',').filter(|k| !k.is_empty()).map(str::to_owned),
        ),
    };
    Ok(Versioned {
        context,
        version: row.access_version,
    })
}

/// The check of a session: valid now (`$2`), with the access version (a
/// missing version row decodes as an error, not as a missing session).
const CHECK_SESSION: &str = "SELECT s.id, s.user_id, s.selected_org, \
    (SELECT v.version FROM access_version v) \
    FROM sessions s \
    WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2";

/// The tables whose changes replace the access version: every table the
/// context statement reads but `sessions`, which the check reads itself.
/// Their triggers (migration `0002_access_version.sql`) list, for updates,
/// the columns the context statement reads: keep both in step.
const VERSIONED_TABLES: [&str; 8] = [
    "subscription_tiers",
    "users",
    "organizations",
    "memberships",
    "permissions",
    "roles",
    "role_permissions",
    "user_role_assignments",
];

/// The triggers that replace the access version, by name.
fn version_triggers(suffixes: &[&str]) -> Vec<String> {
    VERSIONED_TABLES
        .iter()
        .flat_map(|table| {
            suffixes
                .iter()
                .map(move |suffix| format!("{table}_access_version{suffix}"))
        })
        .collect()
}

/// How many of `names` are triggers that fire (SQLite has no disabled ones).
#[cfg(feature = "sqlite")]
const SQLITE_TRIGGERS: &str = "SELECT count(*) FROM sqlite_master \
    WHERE type = 'trigger' AND name IN (SELECT value FROM json_each($1))";
#[cfg(feature = "postgres")]
const POSTGRES_TRIGGERS: &str = "SELECT count(*) FROM pg_trigger \
    WHERE tgname = ANY($1) AND tgenabled IN ('O', 'A')";

/// The check of a user the app authenticated: the access version alone,
/// since every change of a user bumps it.
const CHECK_VERSION: &str = "SELECT version FROM access_version";

macro_rules! impl_session_store {
    ($feature:literal, $db:ty, $agg:literal, $triggers:expr) => {
        #[cfg(feature = $feature)]
        impl SessionStore for $db {
            fn __open_session(_: Key,
                conn: &mut Self::Connection,
                user: UserId,
                org: Option<OrgId>,
                token_hash: [u8; 32],
                now: DateTime<Utc>,
                expires_at: DateTime<Utc>,
            ) -> BoxFuture<'_, Result<()>> {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO sessions (user_id, selected_org, token_hash, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(user)
                    .bind(org)
                    .bind(token_hash.to_vec())
                    .bind(now)
                    .bind(expires_at)
                    .execute(conn)
                    .await?;
                    Ok(())
                })
            }

            fn __close_session(_: Key,
                conn: &mut Self::Connection,
                token_hash: [u8; 32],
                now: DateTime<Utc>,
            ) -> BoxFuture<'_, Result<()>> {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL",
                    )
                    .bind(token_hash.to_vec())
                    .bind(now)
                    .execute(conn)
                    .await?;
                    Ok(())
                })
            }

            fn __close_user_sessions<'a>(_: Key,
                conn: &'a mut Self::Connection,
                user: UserId,
                org: Option<OrgId>,
                keep: Option<&'a [u8; 32]>,
                now: DateTime<Utc>,
            ) -> BoxFuture<'a, Result<u64>> {
                Box::pin(async move {
                    let closed = sqlx::query(
                        "UPDATE sessions SET revoked_at = $4 WHERE user_id = $1 AND revoked_at IS NULL \
                         AND ($2 IS NULL OR selected_org = $2) AND ($3 IS NULL OR token_hash <> $3)",
                    )
                    .bind(user)
                    .bind(org)
                    .bind(keep.map(|hash| hash.to_vec()))
                    .bind(now)
                    .execute(conn)
                    .await?;
                    Ok(Self::__rows_affected(&closed))
                })
            }

            fn __request_context<'a>(_: Key,
                conn: &'a mut Self::Connection,
                lookup: &'a Lookup,
                requested: Option<OrgId>,
                now: DateTime<Utc>,
            ) -> BoxFuture<'a, Result<Option<Versioned>>> {
                Box::pin(async move {
                    let row = match lookup {
                        Lookup::TokenHash(hash) => {
                            sqlx::query(context_sql!(token, $agg))
                                .bind(hash.to_vec())
                                .bind(requested)
                                .bind(now)
                                .fetch_optional(conn)
                                .await?
                        }
                        Lookup::User(user) => {
                            sqlx::query(context_sql!(user, $agg))
                                .bind(*user)
                                .bind(requested)
                                .fetch_optional(conn)
                                .await?
                        }
                    };
                    match row {
                        Some(row) => Ok(Some(context(context_row!(row))?)),
                        None => Ok(None),
                    }
                })
            }

            fn __check<'a>(_: Key,
                conn: &'a mut Self::Connection,
                lookup: &'a Lookup,
                now: DateTime<Utc>,
            ) -> BoxFuture<'a, Result<Option<Live>>> {
                Box::pin(async move {
                    match lookup {
                        Lookup::TokenHash(hash) => {
                            let row: Option<(i64, i64, Option<i64>, i64)> = sqlx::query_as(CHECK_SESSION)
                                .bind(hash.to_vec())
                                .bind(now)
                                .fetch_optional(conn)
                                .await?;
                            Ok(row.map(|(session, user, selected, version)| Live {
                                session: Some((session, UserId::new(user), selected.map(OrgId::new))),
                                version,
                            }))
                        }
                        Lookup::User(_) => {
                            let version: i64 = sqlx::query_scalar(CHECK_VERSION).fetch_one(conn).await?;
                            Ok(Some(Live { session: None, version }))
                        }
                    }
                })
            }

            fn __select_org(_: Key,
                conn: &mut Self::Connection,
                session: i64,
                user: UserId,
                org: OrgId,
            ) -> BoxFuture<'_, Result<bool>> {
                Box::pin(async move {
                    let changed = sqlx::query(
                        "UPDATE sessions SET selected_org = $3 WHERE id = $1 AND user_id = $2 \
                         AND (EXISTS (SELECT 1 FROM users u WHERE u.id = $2 AND u.is_developer) \
                           OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = $2 \
                             AND m.organization_id = $3 AND m.is_active))",
                    )
                    .bind(session)
                    .bind(user)
                    .bind(org)
                    .execute(conn)
                    .await?;
                    Ok(Self::__rows_affected(&changed) == 1)
                })
            }

            fn __version_triggers_in_place(_: Key,
                conn: &mut Self::Connection,
            ) -> BoxFuture<'_, Result<bool>> {
                Box::pin(async move {
                    let (statement, names) = $triggers;
                    let expected = names.len();
                    let found: i64 = sqlx::query_scalar(statement)
                        .bind(names)
                        .fetch_one(conn)
                        .await?;
                    Ok(usize::try_from(found).is_ok_and(|found| found == expected))
                })
            }
        }
    };
}

impl_session_store!("sqlite", sqlx::Sqlite, "group_concat(pm.key, ',')", {
    let names = version_triggers(&["_insert", "_update", "_delete"]);
    (SQLITE_TRIGGERS, sqlx::types::Json(names))
});
impl_session_store!("postgres", sqlx::Postgres, "string_agg(pm.key, ',')", {
    (POSTGRES_TRIGGERS, version_triggers(&["", "_truncate"]))
});
