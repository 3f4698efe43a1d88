//! The team: members (deactivate, restore, roles), custom roles and their
//! permissions, invitations, and handing the organization over. Each form
//! calls tenancy-access, whose rules hold whatever the page showed: a
//! manager gives only what they hold, only the owner hands over.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use tenancy_access::{Invitation, Role, RoleAssignment};
use tenancy_axum::Require;
use tenancy_core::{Id, Order, Scoped, UserId};

use super::forms::{Errors, Form};
use super::layout::{Visit, csrf_field, page};
use super::pages::{refused, see_other};
use crate::domain::Store;
use crate::domain::permissions::{BatchTrackPermissions, ManageMembers, ManageOrganization};
use crate::http::Api;
use crate::outbox::Message;

/// `GET /team`.
pub(super) async fn show<DB: Store>(State(api): State<Api<DB>>, visit: Visit) -> Response {
    let read = async {
        let members = tenancy_access::members(&api.pool, &visit.scope).await?;
        let roles = Role::select(&visit.scope)
            .order_by(Role::NAME, Order::Asc)
            .fetch_all(&api.pool)
            .await?;
        let assignments = RoleAssignment::select(&visit.scope)
            .filter(RoleAssignment::IS_ACTIVE.eq(true))
            .fetch_all(&api.pool)
            .await?;
        let invitations = Invitation::select(&visit.scope)
            .order_by(Invitation::ID, Order::Desc)
            .fetch_all(&api.pool)
            .await?;
        Ok::<_, tenancy_core::Error>((members, roles, assignments, invitations))
    };
    let (members, roles, assignments, invitations) = match read.await {
        Ok(read) => read,
        Err(error) => return refused(error),
    };
    // Only the invitations that can still be accepted.
    let now = chrono::Utc::now();
    let invitations: Vec<_> = invitations
        .into_iter()
        .filter(|i| i.accepted_at.is_none() && i.revoked_at.is_none() && i.expires_at > now)
        .collect();
    let role_names: HashMap<Id<Role>, &str> = roles
        .iter()
        .map(|role| (role.id, role.name.as_str()))
        .collect();
    let manage = visit.may::<ManageMembers>();
    let owner = visit.context.owner == Some(visit.context.user);
    let csrf = |_: ()| csrf_field(&visit.csrf);
    let role_choices = |name: &str| -> Markup {
        html! {
            select name=(name) id=(name) {
                @for role in &roles { option value=(role.id) { (role.name) } }
            }
        }
    };
    page(
        &visit.chrome,
        "Team",
        html! {
            h1 { "Team" }
            table {
                thead { tr { th { "Member" } th { "Roles" } th { "Status" } @if manage { th { "Change" } } } }
                tbody {
                    @for member in &members {
                        tr {
                            td { (member.name) @if member.is_owner { " (owner)" } }
                            td {
                                @for assignment in assignments.iter().filter(|a| a.membership_id == member.membership_id) {
                                    span { (role_names.get(&assignment.role_id).copied().unwrap_or("?")) }
                                    @if manage {
                                        form.inline method="post" action=(format!("/team/role-assignments/{}/revoke", assignment.id)) {
                                            (csrf(())) button.secondary type="submit" aria-label="Remove this role" { "×" }
                                        }
                                    }
                                    br;
                                }
                            }
                            td { @if member.is_active { "active" } @else { "deactivated" } }
                            @if manage {
                                td {
                                    @if !member.is_owner {
                                        @if member.is_active {
                                            form.inline method="post" action=(format!("/team/members/{}/deactivate", member.membership_id)) {
                                                (csrf(())) button.secondary type="submit" aria-label=(format!("Deactivate {}", member.name)) { "Deactivate" }
                                            }
                                        } @else {
                                            form.inline method="post" action=(format!("/team/members/{}/restore", member.membership_id)) {
                                                (csrf(())) button.secondary type="submit" aria-label=(format!("Restore {}", member.name)) { "Restore" }
                                            }
                                        }
                                    }
                                    form.inline method="post" action=(format!("/team/members/{}/roles", member.membership_id)) {
                                        (csrf(()))
                                        label.muted for=(format!("role-{}", member.membership_id)) { "Give role" }
                                        select id=(format!("role-{}", member.membership_id)) name="role_id" {
                                            @for role in &roles { option value=(role.id) { (role.name) } }
                                        }
                                        button.secondary type="submit" aria-label=(format!("Give {} the role", member.name)) { "Give" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if manage {
                form.card method="post" action="/team/invitations" {
                    h2 { "Invite someone" }
                    (csrf(()))
                    label for="email" { "Email" }
                    input id="email" name="email" type="email" required;
                    label for="invite_role" { "Role on joining" }
                    (role_choices("invite_role"))
                    button type="submit" { "Invite" }
                }
                section.card {
                    h2 { "Invitations" }
                    @if invitations.is_empty() { p.muted { "None pending." } }
                    ul {
                        @for invitation in &invitations {
                            li {
                                (invitation.email) ", until " (invitation.expires_at.format("%Y-%m-%d"))
                                form.inline method="post" action=(format!("/team/invitations/{}/revoke", invitation.id)) {
                                    (csrf(())) button.secondary type="submit" aria-label=(format!("Revoke the invitation of {}", invitation.email)) { "Revoke" }
                                }
                            }
                        }
                    }
                }
                form.card method="post" action="/team/roles" {
                    h2 { "New role" }
                    (csrf(()))
                    label for="role_name" { "Name" }
                    input id="role_name" name="name" required;
                    button type="submit" { "Create role" }
                }
                form.card method="post" action="/team/permissions" {
                    h2 { "Grant a permission to a role" }
                    (csrf(()))
                    label for="grant_role" { "Role" }
                    (role_choices("grant_role"))
                    label for="permission" { "Permission" }
                    select id="permission" name="permission" {
                        @for def in BatchTrackPermissions::ALL { option value=(def.key) { (def.key) } }
                    }
                    button type="submit" { "Grant" }
                }
            }
            @if owner && visit.may::<ManageOrganization>() {
                form.card method="post" action="/team/transfer" {
                    h2 { "Hand the organization over" }
                    p.muted { "The new owner must be an active member. You stay a member." }
                    (csrf(()))
                    label for="user_id" { "New owner" }
                    select id="user_id" name="user_id" required {
                        option value="" { "Choose a member" }
                        @for member in members.iter().filter(|m| m.is_active && !m.is_owner) {
                            option value=(member.user_id) { (member.name) }
                        }
                    }
                    button type="submit" { "Transfer ownership" }
                }
            }
        },
    )
    .into_response()
}

/// Back to the team page, or the refusal the library gave.
fn done(outcome: Result<(), tenancy_core::Error>) -> Response {
    match outcome {
        Ok(()) => see_other("/team"),
        Err(error) => refused(error),
    }
}

/// A field that must be an id, else the refusal naming it.
fn id_of<T>(form: &Form, name: &'static str) -> Result<Id<T>, crate::domain::DomainError> {
    let mut errors = Errors::new();
    form.id(name, &mut errors)
        .ok_or_else(|| crate::domain::DomainError::invalid(name, "choose one of the choices"))
}

/// `POST /team/invitations`.
pub(super) async fn invite<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<ManageMembers>,
    form: Form,
) -> Response {
    let role = match id_of::<Role>(&form, "invite_role") {
        Ok(role) => role,
        Err(refusal) => return refused(refusal),
    };
    let invited = tenancy_access::invite(
        &api.pool,
        &visit.scope,
        form.text("email"),
        Some(role),
        tenancy_access::DEFAULT_INVITATION_TTL,
    )
    .await;
    match invited {
        Ok((invitation, token)) => {
            api.outbox
                .send(Message::invitation(&invitation, token.expose()));
            see_other("/team")
        }
        Err(error) => refused(error),
    }
}

/// `POST /team/invitations/{id}/revoke`.
pub(super) async fn revoke_invitation<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<ManageMembers>,
    Path(id): Path<i64>,
    _: Form,
) -> Response {
    done(tenancy_access::revoke_invitation(&api.pool, &visit.scope, Id::new(id)).await)
}

/// `POST /team/members/{id}/deactivate`.
pub(super) async fn deactivate<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<ManageMembers>,
    Path(id): Path<i64>,
    _: Form,
) -> Response {
    done(tenancy_access::deactivate_member(&api.pool, &visit.scope, Id::new(id)).await)
}

/// `POST /team/members/{id}/restore`.
pub(super) async fn restore<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<ManageMembers>,
    Path(id): Path<i64>,
    _: Form,
) -> Response {
    done(
        tenancy_access::restore_member(&api.pool, &visit.scope, Id::new(id))
            .await
            .map(|_| ()),
    )
}

/// `POST /team/members/{id}/roles`.
pub(super) async fn assign<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<ManageMembers>,
    Path(id): Path<i64>,
    form: Form,
) -> Response {
    let role = match id_of::<Role>(&form, "role_id") {
        Ok(role) => role,
        Err(refusal) => return refused(refusal),
    };
    let membership = Id::new(id);
    // Another organization's membership is not found, as in the API.
    if let Err(error) = tenancy_access::Membership::find(&visit.scope, membership)
        .fetch_one(&api.pool)
        .await
    {
        return refused(error);
    }
    done(
        tenancy_access::assign_role(&api.pool, &visit.scope, membership, role)
            .await
            .map(|_| ()),
    )
}

/// `POST /team/role-assignments/{id}/revoke`.
pub(super) async fn revoke_role<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<ManageMembers>,
    Path(id): Path<i64>,
    _: Form,
) -> Response {
    done(tenancy_access::revoke_role(&api.pool, &visit.scope, Id::new(id)).await)
}

/// `POST /team/roles`.
pub(super) async fn create_role<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<ManageMembers>,
    form: Form,
) -> Response {
    done(
        tenancy_access::create_role(&api.pool, &visit.scope, form.text("name"))
            .await
            .map(|_| ()),
    )
}

/// `POST /team/permissions`.
pub(super) async fn grant<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<ManageMembers>,
    form: Form,
) -> Response {
    let role = match id_of::<Role>(&form, "grant_role") {
        Ok(role) => role,
        Err(refusal) => return refused(refusal),
    };
    done(tenancy_access::grant_key(&api.pool, &visit.scope, role, form.text("permission")).await)
}

/// `POST /team/transfer`: the owner hands the organization over.
pub(super) async fn transfer<DB: Store>(
    State(api): State<Api<DB>>,
    visit: Visit,
    _: Require<ManageOrganization>,
    form: Form,
) -> Response {
    let user = match id_of::<tenancy_access::User>(&form, "user_id") {
        Ok(user) => UserId::new(user.get()),
        Err(refusal) => return refused(refusal),
    };
    done(tenancy_access::transfer_ownership(&api.pool, &visit.scope, user).await)
}
