//! The developers' organization switcher: the app's staff choose which
//! organization their session acts in, and the library audits each
//! switch. Members never see it: they act in their own organization.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use maud::html;
use tenancy_access::RequestContext;
use tenancy_axum::Principal;
use tenancy_core::{OrgId, SystemScope};

use super::SESSION_COOKIE;
use super::forms::{Errors, Form};
use super::layout::{Chrome, csrf_field, page};
use super::pages::{refused, see_other};
use crate::domain::Store;
use crate::http::Api;

/// The refusal of anyone but the app's developers, if it is one.
fn unless_developer(principal: &Principal) -> Option<Response> {
    (!principal.is_developer).then(|| refused(tenancy_core::Error::Forbidden))
}

/// `GET /organizations`.
pub(super) async fn list<DB: Store>(
    State(api): State<Api<DB>>,
    principal: Principal,
    Extension(context): Extension<Arc<RequestContext>>,
    headers: HeaderMap,
) -> Response {
    if let Some(refusal) = unless_developer(&principal) {
        return refusal;
    }
    let csrf = tenancy_axum::csrf_token(
        tenancy_axum::cookie_value(&headers, SESSION_COOKIE).unwrap_or(""),
    );
    // Reading every organization is work across organizations: the system
    // pool (the app's own on SQLite).
    let organizations = match &api.system {
        Some(system) => {
            let reason = SystemScope::new("a developer chooses an organization").map_err(refused);
            match reason {
                Ok(reason) => tenancy_access::organizations(system, &reason).await,
                Err(refusal) => return refusal,
            }
        }
        None => Ok(Vec::new()),
    };
    let organizations = match organizations {
        Ok(organizations) => organizations,
        Err(error) => return refused(error),
    };
    page(
        &Chrome::signed_in_without_organization(&csrf),
        "Organizations",
        html! {
            h1 { "Choose an organization" }
            p.muted { "Every switch is written to the organization's audit log." }
            @if organizations.is_empty() {
                form.card method="post" action="/organizations" {
                    (csrf_field(&csrf))
                    label for="organization_id" { "Organization id" }
                    input id="organization_id" name="organization_id" inputmode="numeric" required;
                    button type="submit" { "Work here" }
                }
            }
            ul {
                @for organization in &organizations {
                    li {
                        (organization.name)
                        @if context.org == Some(organization.id) { " (current)" }
                        @if !organization.is_active { " (deactivated)" }
                        form.inline method="post" action="/organizations" {
                            (csrf_field(&csrf))
                            input type="hidden" name="organization_id" value=(organization.id);
                            button.secondary type="submit" aria-label=(format!("Work in {}", organization.name)) { "Work here" }
                        }
                    }
                }
            }
        },
    )
    .into_response()
}

/// `POST /organizations`: the session acts in the chosen organization.
pub(super) async fn select<DB: Store>(
    State(api): State<Api<DB>>,
    principal: Principal,
    Extension(context): Extension<Arc<RequestContext>>,
    form: Form,
) -> Response {
    if let Some(refusal) = unless_developer(&principal) {
        return refusal;
    }
    let mut errors = Errors::new();
    let Some(org) = form
        .id::<()>("organization_id", &mut errors)
        .map(|id| OrgId::new(id.get()))
    else {
        return refused(crate::domain::DomainError::invalid(
            "organization_id",
            "choose an organization",
        ));
    };
    // An organization that does not exist is not found, not a conflict of
    // the session's reference (where the list can be read).
    if let Some(system) = &api.system {
        let known = match SystemScope::new("a developer chooses an organization") {
            Ok(reason) => tenancy_access::organizations(system, &reason).await,
            Err(error) => Err(error),
        };
        match known {
            Ok(known) if !known.iter().any(|known| known.id == org) => {
                return refused(tenancy_core::Error::NotFound {
                    table: "organizations",
                });
            }
            Ok(_) => {}
            Err(error) => return refused(error),
        }
    }
    match tenancy_access::select_org(&api.pool, &context, org, chrono::Utc::now()).await {
        Ok(()) => see_other("/"),
        Err(error) => refused(error),
    }
}
