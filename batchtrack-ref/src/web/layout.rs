//! What every page shares: the document, the navigation (only what the
//! role may open), the sign-out form, the stylesheet, and how amounts are
//! shown (with their unit, never a bare number).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use maud::{DOCTYPE, Markup, html};
use tenancy_access::RequestContext;
use tenancy_core::{Amount, Id, Scope};

use super::SESSION_COOKIE;
use crate::domain::Store;
use crate::domain::models::Unit;
use crate::domain::permissions::{ViewBatches, ViewInventory, ViewProducts, ViewRecipes};
use crate::http::{Api, ApiError};

/// The signed-in request a page is for: its scope, its context, the CSRF
/// token of its forms and the header every page shows.
pub(super) struct Visit {
    /// The organization the request acts for.
    pub(super) scope: Scope,
    /// Who is signed in, and what they may do.
    pub(super) context: Arc<RequestContext>,
    /// The CSRF token forms must carry.
    pub(super) csrf: String,
    /// The page header.
    pub(super) chrome: Chrome,
}

impl Visit {
    /// Whether the principal holds `P` here (to hide what it may not do;
    /// handlers check again).
    pub(super) fn may<P: tenancy_access::Permission>(&self) -> bool {
        self.context.permissions.has::<P>()
    }
}

impl<DB: Store> FromRequestParts<Api<DB>> for Visit {
    type Rejection = axum::response::Response;

    async fn from_request_parts(parts: &mut Parts, api: &Api<DB>) -> Result<Self, Self::Rejection> {
        let scope = Scope::from_request_parts(parts, api)
            .await
            .map_err(IntoResponse::into_response)?;
        let context = parts
            .extensions
            .get::<Arc<RequestContext>>()
            .cloned()
            .ok_or_else(|| tenancy_core::http::missing_layer("Visit").into_response())?;
        let secret = tenancy_axum::cookie_value(&parts.headers, SESSION_COOKIE).unwrap_or("");
        let csrf = tenancy_axum::csrf_token(secret);
        let organization = tenancy_access::organization(&api.pool, &scope)
            .await
            .map_err(|error| ApiError::from(error).into_response())?;
        let permissions = &context.permissions;
        let chrome = Chrome {
            organization: Some(organization.name),
            csrf: Some(csrf.clone()),
            inventory: permissions.has::<ViewInventory>(),
            recipes: permissions.has::<ViewRecipes>(),
            batches: permissions.has::<ViewBatches>(),
            products: permissions.has::<ViewProducts>(),
            team: true,
            audit: context.owner == Some(context.user),
            switcher: context.is_developer || context.memberships.len() > 1,
        };
        Ok(Self {
            scope,
            context,
            csrf,
            chrome,
        })
    }
}

/// The page header: the organization, the navigation the role may use,
/// the sign-out form.
#[derive(Debug, Clone, Default)]
pub(super) struct Chrome {
    organization: Option<String>,
    csrf: Option<String>,
    inventory: bool,
    recipes: bool,
    batches: bool,
    products: bool,
    team: bool,
    audit: bool,
    switcher: bool,
}

impl Chrome {
    /// The header of a page shown to nobody in particular (sign-in, an
    /// error before any session).
    pub(super) fn bare() -> Self {
        Self::default()
    }

    /// The header of the organization switcher: the dashboard, the
    /// switcher itself and the sign-out form.
    pub(super) fn choosing(csrf: &str) -> Self {
        Self {
            organization: Some("choosing an organization".into()),
            csrf: Some(csrf.to_owned()),
            switcher: true,
            ..Self::default()
        }
    }
}

/// A whole document: `title`, the header of `chrome`, then `main`.
pub(super) fn page(chrome: &Chrome, title: &str, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · BatchTrack" }
                link rel="stylesheet" href="/static/site.css";
            }
            body {
                header {
                    a.brand href="/" { "BatchTrack" }
                    @if let Some(organization) = &chrome.organization {
                        span.org { (organization) }
                        nav aria-label="Main" {
                            a href="/" { "Dashboard" }
                            @if chrome.inventory { a href="/ingredients" { "Ingredients" } }
                            @if chrome.recipes { a href="/recipes" { "Recipes" } }
                            @if chrome.batches { a href="/batches" { "Batches" } }
                            @if chrome.products { a href="/products" { "Products" } }
                            @if chrome.team { a href="/team" { "Team" } }
                            @if chrome.audit { a href="/audit" { "Audit log" } }
                            @if chrome.switcher { a href="/organizations" { "Organizations" } }
                        }
                        @if let Some(csrf) = &chrome.csrf {
                            form.sign-out method="post" action="/sign-out" {
                                input type="hidden" name="csrf" value=(csrf);
                                button type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main { (main) }
            }
        }
    }
}

/// The hidden CSRF field of a form.
pub(super) fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

/// An error shown next to its field, if there is one for `field`.
pub(super) fn field_error(errors: &super::forms::Errors, field: &str) -> Markup {
    html! {
        @if let Some(message) = errors.get(field) {
            span.error id=(format!("{field}-error")) role="alert" { (message) }
        }
    }
}

/// The errors of `errors` that no field of the page shows (`placed`
/// lists those that do), as one banner: nothing a service said is lost.
pub(super) fn unplaced(errors: &super::forms::Errors, placed: &[&str]) -> Markup {
    let rest: Vec<String> = errors
        .iter()
        .filter(|(field, _)| !placed.contains(field))
        .map(|(field, message)| {
            if field.is_empty() {
                message.clone()
            } else {
                format!("{}: {message}", field.replace('_', " "))
            }
        })
        .collect();
    html! {
        @if !rest.is_empty() {
            div.banner.bad role="alert" { @for line in &rest { p { (line) } } }
        }
    }
}

/// A sum of money, to the cent.
pub(super) fn money(amount: Amount) -> String {
    let shown = amount
        .decimal()
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    format!("{shown:.2}")
}

/// `amount` with its unit, to two decimals at most (`7791.21 ml`): what
/// a person reads on the floor; the API answers the exact amounts.
pub(super) fn quantity(amount: Amount, unit: &str) -> String {
    let shown = amount
        .decimal()
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .normalize();
    // A shortfall of a millionth is still a shortfall.
    if shown.is_zero() && amount.is_positive() {
        return format!("less than 0.01 {unit}");
    }
    format!("{shown} {unit}")
}

/// The symbol of `unit` in the app's unit book (`?` for none).
pub(super) fn symbol<DB: Store>(api: &Api<DB>, unit: Id<Unit>) -> String {
    api.units
        .unit(unit)
        .map_or_else(|_| "?".to_owned(), |unit| unit.symbol.clone())
}

/// The stylesheet: plain, readable on a phone, no build step.
pub(super) async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("site.css"),
    )
}
