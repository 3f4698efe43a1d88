//! The organization switcher: the app's developers choose which
//! organization their session acts in (the library audits each switch),
//! and members of several organizations choose among theirs.

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

/// The refusal of anyone with nothing to choose from, if it is one.
fn unless_choosing(principal: &Principal) -> Option<Response> {
    (!principal.is_developer && principal.memberships.len() < 2)
        .then(|| refused(tenancy_core::Error::Forbidden))
}

/// `GET /organizations`.
pub(super) async fn list<DB: Store>(
    State(api): State<Api<DB>>,
    principal: Principal,
    Extension(context): Extension<Arc<RequestContext>>,
    headers: HeaderMap,
) -> Response {
    if let Some(refusal) = unless_choosing(&principal) {
        return refusal;
    }
    let csrf = tenancy_axum::csrf_token(
        tenancy_axum::cookie_value(&headers, SESSION_COOKIE).unwrap_or(""),
    );
    // A developer may enter any organization: reading them all is work
    // across organizations, on the system pool (the app's own on SQLite).
    // A member reads each of theirs as its member.
    let organizations = if principal.is_developer {
        match &api.system {
            Some(system) => match SystemScope::new("a developer chooses an organization") {
                Ok(reason) => tenancy_access::organizations(system, &reason).await,
                Err(error) => Err(error),
            },
            None => Ok(Vec::new()),
        }
    } else {
        let mut theirs = Vec::new();
        let mut failed = None;
        for org in &principal.memberships {
            let scope = tenancy_core::Scope::for_member(*org, principal.user);
            match tenancy_access::organization(&api.pool, &scope).await {
                Ok(organization) => theirs.push(organization),
                Err(error) => failed = Some(error),
            }
        }
        failed.map_or(Ok(theirs), Err)
    };
    let organizations = match organizations {
        Ok(organizations) => organizations,
        Err(error) => return refused(error),
    };
    page(
        &Chrome::choosing(&csrf),
        "Organizations",
        html! {
            h1 { "Choose an organization" }
            @if principal.is_developer { p.muted { "Every switch is written to the organization's audit log." } }
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
    if let Some(refusal) = unless_choosing(&principal) {
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
    if let (true, Some(system)) = (principal.is_developer, &api.system) {
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
