//! The statements of the audit log, once per backend: one insert, and one
//! listing whose every filter is a bound parameter (null: no filter), so
//! that one prepared statement serves every query.

// Without a backend feature nothing instantiates the statements below.
#![cfg_attr(
    not(any(feature = "sqlite", feature = "postgres")),
    allow(dead_code, unused_imports, unused_macros)
)]

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;

use super::Key;
use tenancy_core::{Backend, OrgId, Result, UserId};

use crate::event_log::{AuditQuery, LoggedEvent, NewEvent, Subject};

/// The statements of the audit log.
#[doc(hidden)]
pub trait AuditStore: Backend {
    /// Writes an audit row.
    fn __record<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        event: &'a NewEvent,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<()>>;

    /// The organization's rows that `query` selects, newest first, at most
    /// `limit` (already bounded).
    fn __events<'a>(
        _: Key,
        conn: &'a mut Self::Connection,
        org: OrgId,
        query: &'a AuditQuery,
        limit: i64,
    ) -> BoxFuture<'a, Result<Vec<LoggedEvent>>>;
}

type EventRow = (
    i64,
    Option<OrgId>,
    Option<UserId>,
    Option<UserId>,
    String,
    Option<String>,
    Option<i64>,
    sqlx::types::Json<serde_json::Value>,
    DateTime<Utc>,
);

fn logged(row: EventRow) -> LoggedEvent {
    let (id, organization_id, user_id, actor_id, event, kind, subject, detail, created_at) = row;
    LoggedEvent {
        id,
        organization_id,
        user_id,
        actor_id,
        event,
        subject: kind.zip(subject).map(|(kind, id)| Subject { kind, id }),
        detail: detail.0,
        created_at,
    }
}

macro_rules! impl_audit_store {
    ($feature:literal, $db:ty) => {
        #[cfg(feature = $feature)]
        impl AuditStore for $db {
            fn __record<'a>(
                _: Key,
                conn: &'a mut Self::Connection,
                event: &'a NewEvent,
                now: DateTime<Utc>,
            ) -> BoxFuture<'a, Result<()>> {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO user_event_log (organization_id, user_id, actor_id, event, \
                         subject_type, subject_id, detail, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(event.organization_id)
                    .bind(event.user_id)
                    .bind(event.actor_id)
                    .bind(event.kind.as_str())
                    .bind(event.subject.as_ref().map(|s| s.kind.as_str()))
                    .bind(event.subject.as_ref().map(|s| s.id))
                    .bind(sqlx::types::Json(&event.detail))
                    .bind(now)
                    .execute(conn)
                    .await?;
                    Ok(())
                })
            }

            fn __events<'a>(
                _: Key,
                conn: &'a mut Self::Connection,
                org: OrgId,
                query: &'a AuditQuery,
                limit: i64,
            ) -> BoxFuture<'a, Result<Vec<LoggedEvent>>> {
                Box::pin(async move {
                    let rows: Vec<EventRow> = sqlx::query_as(
                        "SELECT id, organization_id, user_id, actor_id, event, subject_type, \
                         subject_id, detail, created_at FROM user_event_log \
                         WHERE organization_id = $1 \
                         AND ($2 IS NULL OR id < $2) \
                         AND ($3 IS NULL OR event = $3) \
                         AND ($4 IS NULL OR user_id = $4) \
                         AND ($5 IS NULL OR actor_id = $5) \
                         AND ($6 IS NULL OR (subject_type = $6 AND subject_id = $7)) \
                         AND ($8 IS NULL OR created_at >= $8) \
                         AND ($9 IS NULL OR created_at < $9) \
                         ORDER BY id DESC LIMIT $10",
                    )
                    .bind(org)
                    .bind(query.after.map(|cursor| cursor.0))
                    .bind(query.event.as_deref())
                    .bind(query.user)
                    .bind(query.actor)
                    .bind(query.subject.as_ref().map(|s| s.kind.as_str()))
                    .bind(query.subject.as_ref().map(|s| s.id))
                    .bind(query.since)
                    .bind(query.until)
                    .bind(limit)
                    .fetch_all(conn)
                    .await?;
                    Ok(rows.into_iter().map(logged).collect())
                })
            }
        }
    };
}

impl_audit_store!("sqlite", sqlx::Sqlite);
impl_audit_store!("postgres", sqlx::Postgres);
