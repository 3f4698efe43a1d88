//! The organization and its people: signing up, settings, members,
//! custom roles and their permissions, invitations, ownership, and a
//! developer's choice of organization.
//!
//! Writes require `members.manage` or `organization.manage` (the owner
//! and developers hold every permission), so that a member without them
//! is refused before their request is read; the library then applies its
//! own rule on top: a manager gives only what they hold, only the owner
//! hands the organization over.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use tenancy_access::{
    Acceptance, Invitation, Member, Membership, Organization, OrganizationChanges, RequestContext,
    Role, RoleAssignment, SignUp,
};
use tenancy_axum::{Principal, Problem, Require};
use tenancy_core::{Id, Order, OrgId, Scope, Scoped, SystemScope, UserId};
use utoipa::ToSchema;

use super::openapi::{ById, Reads, Writes};
use super::problem::{ApiResult, Body, PathOf};
use super::{Api, SESSION_TTL};
use crate::domain::Store;
use crate::domain::permissions::{ManageMembers, ManageOrganization};
use crate::outbox::Message;

pub(super) fn routes<DB: Store>() -> Router<Api<DB>> {
    Router::new()
        .route("/auth/signup", post(sign_up::<DB>))
        .route("/auth/accept-invitation", post(accept::<DB>))
        .route("/auth/organization", post(select_organization::<DB>))
        .route(
            "/organization",
            get(organization::<DB>).patch(update_organization::<DB>),
        )
        .route("/organization/transfer", post(transfer::<DB>))
        .route("/members", get(members::<DB>))
        .route("/members/{id}/deactivate", post(deactivate::<DB>))
        .route("/members/{id}/restore", post(restore::<DB>))
        .route("/members/{id}/roles", post(assign::<DB>))
        .route("/role-assignments/{id}/revoke", post(revoke::<DB>))
        .route("/roles", get(roles::<DB>).post(create_role::<DB>))
        .route("/roles/{id}", get(role::<DB>))
        .route("/roles/{id}/permissions", post(grant::<DB>))
        .route("/roles/{id}/permissions/remove", post(remove::<DB>))
        .route("/invitations", get(invitations::<DB>).post(invite::<DB>))
        .route("/invitations/{id}/revoke", post(revoke_invitation::<DB>))
}

/// A new organization and its owner.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignUpBody {
    /// The organization's name.
    #[schema(example = "Cedar Balms")]
    organization: String,
    /// The owner's name.
    #[schema(example = "Cy")]
    name: String,
    /// The owner's email.
    #[schema(example = "cy@cedar.example")]
    email: String,
    /// The owner's password: 12 characters at least.
    password: String,
}

/// What signing up made: the owner's first session.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SignedUp {
    /// The organization.
    organization_id: OrgId,
    /// The owner.
    user_id: UserId,
    /// The bearer token of the owner's first session.
    token: String,
    /// When it stops being valid.
    expires_at: chrono::DateTime<chrono::Utc>,
}

/// Signs up: a new organization (on the free tier), its owner and their
/// first session, all or nothing.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "auth", request_body = SignUpBody,
    security(()),
    responses(
        (status = 201, description = "Signed up", body = SignedUp),
        (status = 503, description = "Sign-up is not configured (`signup_unavailable`): PostgreSQL needs a system-role login", body = tenancy_core::http::Problem, content_type = "application/problem+json"),
        Writes))]
async fn sign_up<DB: Store>(
    State(api): State<Api<DB>>,
    Body(body): Body<SignUpBody>,
) -> ApiResult<(StatusCode, Json<SignedUp>)> {
    let Some(system_pool) = &api.system else {
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "signup_unavailable",
            "Sign-up unavailable",
        )
        .with_detail("this server takes no sign-ups; ask its operator")
        .into());
    };
    let system = SystemScope::new("sign-up")?;
    let now = chrono::Utc::now();
    let request = SignUp::new(
        &body.organization,
        &body.name,
        &body.email,
        &body.password,
        "free",
    );
    let made = tenancy_access::sign_up(
        system_pool,
        &system,
        &api.passwords,
        request,
        SESSION_TTL,
        now,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(SignedUp {
            organization_id: made.organization,
            user_id: made.user.user_id(),
            token: made.token.expose().to_owned(),
            expires_at: now + SESSION_TTL,
        }),
    ))
}

/// An invitation accepted.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AcceptBody {
    /// The token the invitation's message carried.
    token: String,
    /// A new user's name (an existing user keeps theirs).
    name: String,
    /// A new user's password; an existing user signs in first and leaves
    /// it out.
    #[serde(default)]
    password: Option<String>,
}

/// Accepts an invitation: a new user (named, with a password) or the
/// signed-in user whose email it names joins the organization with the
/// invitation's role. Then sign in as usual.
#[utoipa::path(post, path = "/api/v1/auth/accept-invitation", tag = "auth", request_body = AcceptBody,
    security((), ("bearer" = [])),
    responses(
        (status = 201, description = "Joined", body = Membership),
        (status = 403, description = "The email has an account: sign in as it first", body = tenancy_core::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "The token is unknown, expired, used or revoked", body = tenancy_core::http::Problem, content_type = "application/problem+json"),
        Writes))]
async fn accept<DB: Store>(
    State(api): State<Api<DB>>,
    principal: Option<Extension<Principal>>,
    Body(body): Body<AcceptBody>,
) -> ApiResult<(StatusCode, Json<Membership>)> {
    let acceptance = match body.password {
        Some(password) => Acceptance::new(body.name, password),
        None => Acceptance::without_password(body.name),
    };
    let accepted = tenancy_access::accept_invitation(
        &api.pool,
        &api.passwords,
        &body.token,
        acceptance,
        principal.map(|Extension(principal)| principal.user),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(accepted.membership)))
}

/// An organization to act in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SelectBody {
    /// The organization.
    organization_id: OrgId,
}

/// A developer enters an organization for this session (recorded in its
/// audit log); members name theirs with the `x-organization-id` header.
#[utoipa::path(post, path = "/api/v1/auth/organization", tag = "auth", request_body = SelectBody,
    responses(
        (status = 204, description = "The session acts there from now on"),
        Reads, Writes))]
async fn select_organization<DB: Store>(
    State(api): State<Api<DB>>,
    // Nobody signed in is a 401 before anything else.
    _: Principal,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Body(body): Body<SelectBody>,
) -> ApiResult<StatusCode> {
    let Some(Extension(context)) = context else {
        return Err(tenancy_core::Error::Forbidden.into());
    };
    tenancy_access::select_org(
        &api.pool,
        &context,
        body.organization_id,
        chrono::Utc::now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organization.
#[utoipa::path(get, path = "/api/v1/organization", tag = "organization",
    responses((status = 200, description = "The organization", body = Organization), Reads))]
async fn organization<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
) -> ApiResult<Json<Organization>> {
    Ok(Json(tenancy_access::organization(&api.pool, &scope).await?))
}

/// New settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsBody {
    /// A new name.
    #[serde(default)]
    name: Option<String>,
    /// A new IANA time zone (`Europe/Paris`).
    #[serde(default)]
    timezone: Option<String>,
}

/// Renames the organization or moves its time zone: for the owner and
/// holders of `organization.manage`.
#[utoipa::path(patch, path = "/api/v1/organization", tag = "organization", request_body = SettingsBody,
    responses((status = 200, description = "Changed", body = Organization), Reads, Writes))]
async fn update_organization<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ManageOrganization>,
    Body(body): Body<SettingsBody>,
) -> ApiResult<Json<Organization>> {
    let mut changes = OrganizationChanges::new();
    if let Some(name) = body.name {
        changes = changes.name(name);
    }
    if let Some(timezone) = body.timezone {
        changes = changes.timezone(timezone);
    }
    Ok(Json(
        tenancy_access::update_organization(&api.pool, &scope, changes).await?,
    ))
}

/// The new owner.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TransferBody {
    /// An active member of the organization.
    user_id: UserId,
}

/// Hands the organization to another member: for the owner.
#[utoipa::path(post, path = "/api/v1/organization/transfer", tag = "organization", request_body = TransferBody,
    responses((status = 204, description = "Transferred"), Reads, Writes))]
async fn transfer<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ManageOrganization>,
    Body(body): Body<TransferBody>,
) -> ApiResult<StatusCode> {
    tenancy_access::transfer_ownership(&api.pool, &scope, body.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organization's members, active or not, in the order they joined.
#[utoipa::path(get, path = "/api/v1/members", tag = "organization",
    responses((status = 200, description = "The members", body = Vec<Member>), Reads))]
async fn members<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
) -> ApiResult<Json<Vec<Member>>> {
    Ok(Json(tenancy_access::members(&api.pool, &scope).await?))
}

/// Deactivates a member, their roles and their sessions in the
/// organization.
#[utoipa::path(post, path = "/api/v1/members/{id}/deactivate", tag = "organization",
    params(("id" = i64, Path, description = "The membership's id")),
    responses((status = 204, description = "Deactivated"), Reads, ById))]
async fn deactivate<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ManageMembers>,
    PathOf(id): PathOf<Id<Membership>>,
) -> ApiResult<StatusCode> {
    tenancy_access::deactivate_member(&api.pool, &scope, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Restores a deactivated member with the roles deactivation took.
#[utoipa::path(post, path = "/api/v1/members/{id}/restore", tag = "organization",
    params(("id" = i64, Path, description = "The membership's id")),
    responses((status = 200, description = "Restored", body = Membership), Reads, ById))]
async fn restore<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ManageMembers>,
    PathOf(id): PathOf<Id<Membership>>,
) -> ApiResult<Json<Membership>> {
    Ok(Json(
        tenancy_access::restore_member(&api.pool, &scope, id).await?,
    ))
}

/// A role to give.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssignBody {
    /// One of the organization's roles.
    role_id: Id<Role>,
}

/// Gives a member a role.
#[utoipa::path(post, path = "/api/v1/members/{id}/roles", tag = "organization", request_body = AssignBody,
    params(("id" = i64, Path, description = "The membership's id")),
    responses((status = 201, description = "Given", body = RoleAssignment), Reads, ById, Writes))]
async fn assign<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ManageMembers>,
    PathOf(id): PathOf<Id<Membership>>,
    Body(body): Body<AssignBody>,
) -> ApiResult<(StatusCode, Json<RoleAssignment>)> {
    // Another organization's membership is not found, as on every route
    // that takes an id.
    Membership::find(&scope, id).fetch_one(&api.pool).await?;
    let assignment = tenancy_access::assign_role(&api.pool, &scope, id, body.role_id).await?;
    Ok((StatusCode::CREATED, Json(assignment)))
}

/// Takes a role back.
#[utoipa::path(post, path = "/api/v1/role-assignments/{id}/revoke", tag = "organization",
    params(("id" = i64, Path, description = "The assignment's id")),
    responses((status = 204, description = "Revoked"), Reads, ById))]
async fn revoke<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ManageMembers>,
    PathOf(id): PathOf<Id<RoleAssignment>>,
) -> ApiResult<StatusCode> {
    tenancy_access::revoke_role(&api.pool, &scope, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The roles the organization can give: its own and the system's.
#[utoipa::path(get, path = "/api/v1/roles", tag = "organization",
    responses((status = 200, description = "The roles", body = Vec<Role>), Reads))]
async fn roles<DB: Store>(State(api): State<Api<DB>>, scope: Scope) -> ApiResult<Json<Vec<Role>>> {
    Ok(Json(
        Role::select(&scope)
            .order_by(Role::NAME, Order::Asc)
            .fetch_all(&api.pool)
            .await?,
    ))
}

/// A new role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleBody {
    /// Its name.
    #[schema(example = "Packer")]
    name: String,
}

/// Creates a custom role, granting nothing yet.
#[utoipa::path(post, path = "/api/v1/roles", tag = "organization", request_body = RoleBody,
    responses((status = 201, description = "Created", body = Role), Reads, Writes))]
async fn create_role<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ManageMembers>,
    Body(body): Body<RoleBody>,
) -> ApiResult<(StatusCode, Json<Role>)> {
    let role = tenancy_access::create_role(&api.pool, &scope, &body.name).await?;
    Ok((StatusCode::CREATED, Json(role)))
}

/// A role with the permissions it grants.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RoleDetail {
    /// The role.
    role: Role,
    /// The keys it grants, sorted.
    permissions: Vec<String>,
}

/// One role and its permissions.
#[utoipa::path(get, path = "/api/v1/roles/{id}", tag = "organization",
    params(("id" = i64, Path, description = "The role's id")),
    responses((status = 200, description = "The role", body = RoleDetail), Reads, ById))]
async fn role<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    PathOf(id): PathOf<Id<Role>>,
) -> ApiResult<Json<RoleDetail>> {
    let role = Role::find(&scope, id).fetch_one(&api.pool).await?;
    let permissions = tenancy_access::role_permissions(&api.pool, &scope, id).await?;
    Ok(Json(RoleDetail { role, permissions }))
}

/// A permission, by key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PermissionBody {
    /// Its key (`batches.run`).
    #[schema(example = "batches.run")]
    permission: String,
}

/// Grants a permission to one of the organization's own roles.
#[utoipa::path(post, path = "/api/v1/roles/{id}/permissions", tag = "organization", request_body = PermissionBody,
    params(("id" = i64, Path, description = "The role's id")),
    responses((status = 204, description = "Granted"), Reads, ById, Writes))]
async fn grant<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ManageMembers>,
    PathOf(id): PathOf<Id<Role>>,
    Body(body): Body<PermissionBody>,
) -> ApiResult<StatusCode> {
    tenancy_access::grant_key(&api.pool, &scope, id, &body.permission).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes a permission from one of the organization's own roles.
#[utoipa::path(post, path = "/api/v1/roles/{id}/permissions/remove", tag = "organization", request_body = PermissionBody,
    params(("id" = i64, Path, description = "The role's id")),
    responses((status = 204, description = "Removed"), Reads, ById, Writes))]
async fn remove<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ManageMembers>,
    PathOf(id): PathOf<Id<Role>>,
    Body(body): Body<PermissionBody>,
) -> ApiResult<StatusCode> {
    tenancy_access::remove_permission_key(&api.pool, &scope, id, &body.permission).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organization's invitations, newest first, never their tokens.
#[utoipa::path(get, path = "/api/v1/invitations", tag = "organization",
    responses((status = 200, description = "The invitations", body = Vec<Invitation>), Reads))]
async fn invitations<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
) -> ApiResult<Json<Vec<Invitation>>> {
    Ok(Json(
        Invitation::select(&scope)
            .order_by(Invitation::ID, Order::Desc)
            .fetch_all(&api.pool)
            .await?,
    ))
}

/// Someone to invite.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InviteBody {
    /// Their email.
    #[schema(example = "packer@acme.example")]
    email: String,
    /// The role they get on joining, one of the organization's own.
    #[serde(default)]
    role_id: Option<Id<Role>>,
}

/// Invites someone: the token goes to their email only (the server's
/// outbox), never back to the inviter.
#[utoipa::path(post, path = "/api/v1/invitations", tag = "organization", request_body = InviteBody,
    responses((status = 201, description = "Invited", body = Invitation), Reads, Writes))]
async fn invite<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ManageMembers>,
    Body(body): Body<InviteBody>,
) -> ApiResult<(StatusCode, Json<Invitation>)> {
    let (invitation, token) = tenancy_access::invite(
        &api.pool,
        &scope,
        &body.email,
        body.role_id,
        tenancy_access::DEFAULT_INVITATION_TTL,
    )
    .await?;
    api.outbox
        .send(Message::invitation(&invitation, token.expose()));
    Ok((StatusCode::CREATED, Json(invitation)))
}

/// Revokes an invitation not accepted yet.
#[utoipa::path(post, path = "/api/v1/invitations/{id}/revoke", tag = "organization",
    params(("id" = i64, Path, description = "The invitation's id")),
    responses((status = 204, description = "Revoked"), Reads, ById))]
async fn revoke_invitation<DB: Store>(
    State(api): State<Api<DB>>,
    scope: Scope,
    _: Require<ManageMembers>,
    PathOf(id): PathOf<Id<Invitation>>,
) -> ApiResult<StatusCode> {
    tenancy_access::revoke_invitation(&api.pool, &scope, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
