//! The OpenAPI 3.1 document of the API, generated from the handlers'
//! annotations, served at `/openapi.json`, with a browsable reference at
//! `/docs`. The end-to-end tests enumerate the routes from it, so that a
//! route left out of it is a route left out of the tests.

use axum::routing::get;
use axum::{Json, Router};
use tenancy_core::http::Problem;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi};
use utoipa_scalar::{Scalar, Servable};

/// The document.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "BatchTrack",
        description = "Small-batch production for many organizations: ingredients and FIFO lots, \
            recipes and stock checks, batches, products and sales, traceability. Every id is \
            scoped to the signed-in organization: another organization's ids are not found (404). \
            Errors are `application/problem+json` with a stable `code`.",
    ),
    paths(
        super::auth::login,
        super::auth::logout,
        super::auth::me,
        super::audit::audit_log,
        super::team::sign_up,
        super::team::accept,
        super::team::select_organization,
        super::team::organization,
        super::team::update_organization,
        super::team::transfer,
        super::team::members,
        super::team::deactivate,
        super::team::restore,
        super::team::assign,
        super::team::revoke,
        super::team::roles,
        super::team::create_role,
        super::team::role,
        super::team::grant,
        super::team::remove,
        super::team::invitations,
        super::team::invite,
        super::team::revoke_invitation,
        super::catalog::units,
        super::catalog::list_categories,
        super::catalog::create_category,
        super::catalog::category,
        super::catalog::edit_category,
        super::catalog::delete_category,
        super::catalog::list_ingredients,
        super::catalog::create_ingredient,
        super::catalog::ingredient,
        super::catalog::edit_ingredient,
        super::catalog::delete_ingredient,
        super::catalog::list_recipes,
        super::catalog::create_recipe,
        super::catalog::recipe,
        super::catalog::edit_recipe,
        super::catalog::delete_recipe,
        super::catalog::stock_check,
        super::inventory::list_lots,
        super::inventory::receive,
        super::inventory::lot,
        super::inventory::history,
        super::inventory::movements,
        super::inventory::adjust,
        super::inventory::low,
        super::inventory::expired,
        super::batches::list,
        super::batches::start,
        super::batches::batch,
        super::batches::finish,
        super::batches::cancel,
        super::products::list,
        super::products::create,
        super::products::product,
        super::products::edit,
        super::products::delete,
        super::products::create_sku,
        super::products::skus,
        super::products::sku,
        super::products::edit_sku,
        super::products::inventory,
        super::products::sell,
        super::trace::lot,
        super::trace::batch,
        super::trace::goods,
    ),
    modifiers(&Bearer, &StripeWebhook),
    security(("bearer" = [])),
    tags(
        (name = "auth", description = "Signing in and out"),
        (name = "organization", description = "The organization: settings, members, roles, invitations, audit log"),
        (name = "catalog", description = "Units, categories and ingredients"),
        (name = "recipes", description = "Recipes and stock checks"),
        (name = "inventory", description = "Lots, adjustments, stock lists"),
        (name = "batches", description = "Starting, finishing and cancelling batches"),
        (name = "products", description = "Products, SKUs, goods and sales"),
        (name = "trace", description = "Traceability: the recall report"),
        (name = "billing", description = "Billing events from Stripe"),
    )
)]
pub struct ApiDoc;

/// The bearer scheme every route but sign-in requires.
struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A session token from `POST /api/v1/auth/login`. Name another \
                         organization of yours with the `x-organization-id` header.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Stripe's webhook, served by `tenancy-axum` when configured.
struct StripeWebhook;

impl Modify for StripeWebhook {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{HttpMethod, OperationBuilder};
        use utoipa::openapi::{ResponseBuilder, security::SecurityRequirement};
        let response = |description: &str| ResponseBuilder::new().description(description).build();
        let operation = OperationBuilder::new()
            .tag("billing")
            .summary(Some("Stripe's webhook"))
            .description(Some(
                "Subscription and invoice events from Stripe, verified by their \
                 `Stripe-Signature` and applied at most once. Served when the server has \
                 Stripe's signing secret (`STRIPE_WEBHOOK_SECRET`).",
            ))
            .security(SecurityRequirement::default())
            .response(
                "200",
                response("Applied, a duplicate, or ignored: `{\"outcome\": ...}`"),
            )
            .response(
                "400",
                response("A bad signature, a stale timestamp or a malformed body"),
            )
            .response(
                "409",
                response("A customer no organization has yet: Stripe retries"),
            )
            .build();
        openapi
            .paths
            .add_path_operation(super::STRIPE_WEBHOOK, vec![HttpMethod::Post], operation);
    }
}

/// The refusals of any route behind sign-in.
#[derive(Debug, IntoResponses)]
pub enum Reads {
    /// Nobody is signed in, or the token is unknown, expired or revoked
    /// (`unauthenticated`, `invalid_credentials`).
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Problem),
    /// Billing lapsed: only the owner may act (`billing_lapsed`, with the
    /// owner as `contact`).
    #[response(status = 402, content_type = "application/problem+json")]
    BillingLapsed(Problem),
    /// The user lacks the route's permission (`missing_permission`), or is
    /// no member of the organization named (`not_a_member`).
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// The database is busy (`busy`) or the request took too long
    /// (`timeout`): retry after `Retry-After`.
    #[response(status = 503, content_type = "application/problem+json")]
    Busy(Problem),
}

/// The refusals of a route that takes an id.
#[derive(Debug, IntoResponses)]
pub enum ById {
    /// The id is not a whole number (`malformed`).
    #[response(status = 400, content_type = "application/problem+json")]
    Malformed(Problem),
    /// Nothing with this id in the organization, another organization's
    /// ids included (`not_found`).
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
}

/// The refusals of a route that takes a body.
#[derive(Debug, IntoResponses)]
pub enum Writes {
    /// The body is not JSON (`malformed`), or the query string is wrong.
    #[response(status = 400, content_type = "application/problem+json")]
    Malformed(Problem),
    /// A duplicate name or code, a row still in use (`conflict`).
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
    /// The body is larger than 64 KiB (`too_large`).
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The body is not sent as JSON (`unsupported_media_type`).
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    /// A value is refused, a field unknown or of the wrong type, or an id
    /// names nothing of the organization (`invalid`, with `field`).
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
}

/// The refusals of an edit guarded by a version.
#[derive(Debug, IntoResponses)]
pub enum Versioned {
    /// The resource changed since the version in `If-Match` (`stale`); its
    /// current version is the `ETag`. Nothing changed.
    #[response(status = 412, content_type = "application/problem+json")]
    Stale(Problem),
    /// No `If-Match` was sent (`precondition_required`).
    #[response(status = 428, content_type = "application/problem+json")]
    PreconditionRequired(Problem),
}

/// `/openapi.json` and `/docs`.
pub(super) fn routes() -> Router {
    let document = ApiDoc::openapi();
    Router::new()
        .route(
            "/openapi.json",
            get({
                let document = document.clone();
                move || async move { Json(document) }
            }),
        )
        .merge(Scalar::with_url("/docs", document).title("BatchTrack API"))
}
