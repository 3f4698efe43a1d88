//! The audit log, for the organization's owner: newest first, in pages
//! that new events do not shift.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;
use tenancy_access::{AuditCursor, AuditQuery};

use super::layout::{Visit, page};
use super::pages::refused;
use crate::domain::Store;
use crate::http::Api;

/// Which page, and of which events.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Filter {
    event: Option<String>,
    after: Option<String>,
}

/// `GET /audit`: refused (403) to all but the owner by the library.
pub(super) async fn log<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    Query(filter): Query<Filter>,
) -> Response {
    let mut query = AuditQuery::new().limit(50);
    let event = filter
        .event
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    if let Some(event) = event {
        query = query.event(event);
    }
    if let Some(after) = filter
        .after
        .as_deref()
        .and_then(|after| after.parse::<i64>().ok())
    {
        query = query.after(AuditCursor::new(after));
    }
    let listed = match tenancy_access::audit_log(&api.pool, &visit.scope, &query).await {
        Ok(listed) => listed,
        Err(error) => return refused(error),
    };
    page(
        &visit.chrome,
        "Audit log",
        html! {
            h1 { "Audit log" }
            form method="get" action="/audit" {
                label for="event" { "Only events named" }
                input id="event" name="event" placeholder="role.assigned" value=(event.unwrap_or(""));
                button.secondary type="submit" { "Filter" }
            }
            table {
                thead { tr { th { "When" } th { "Event" } th { "By" } th { "About" } } }
                tbody {
                    @for logged in &listed.events {
                        tr {
                            td { (logged.created_at.format("%Y-%m-%d %H:%M:%S")) }
                            td { code { (logged.event) } }
                            td { (logged.actor_id.map(|id| format!("user {id}")).unwrap_or_default()) }
                            td { (logged.user_id.map(|id| format!("user {id}")).unwrap_or_default()) }
                        }
                    }
                }
            }
            @if let Some(next) = &listed.next {
                @let mut link = form_urlencoded::Serializer::new(String::new());
                @let _ = link.append_pair("after", &next.get().to_string());
                @if let Some(event) = event { @let _ = link.append_pair("event", event); }
                p { a href=(format!("/audit?{}", link.finish())) { "Older events" } }
            }
        },
    )
    .into_response()
}
