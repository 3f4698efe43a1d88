//! The access rules' operations, as futures to cancel: compiled once per
//! backend (`Db` and `Fixture` come from the parent module). They run on a
//! database of their own, with the library's access tables.

use chrono::Utc;
use tenancy_access::{self as access, AuditQuery, Membership, NewUser, Role};
use tenancy_core::{Id, OrgId, Scope, SystemScope, UserId};

use super::operations::Operation;

tenancy_access::permissions! {
    /// What the suite's roles may be granted.
    pub(crate) Permissions {
        /// Edit recipes.
        EditRecipes: "recipes.edit", category "recipes";
    }
}

/// The rows the operations work on: an organization with its owner, a
/// member and a role.
pub(crate) struct Shop {
    pub(crate) system: SystemScope,
    pub(crate) org: OrgId,
    pub(crate) owner: UserId,
    pub(crate) member: Id<Membership>,
    pub(crate) role: Id<Role>,
}

impl Shop {
    fn as_owner(&self) -> Scope {
        Scope::for_member(self.org, self.owner)
    }
}

/// Creates the access tables and the shop, through `pool`.
pub(crate) async fn seed(pool: &sqlx::Pool<super::Db>) -> Shop {
    let system = SystemScope::new("cancellation suite").unwrap();
    access::schema::apply(pool).await.unwrap();
    access::sync_permissions(pool, &system, Permissions::ALL)
        .await
        .unwrap();
    let user = |email: &str| NewUser {
        email: email.into(),
        name: email.into(),
        is_developer: false,
    };
    let owner = access::create_user(pool, &system, user("owner@shop"))
        .await
        .unwrap();
    let member = access::create_user(pool, &system, user("member@shop"))
        .await
        .unwrap();
    let org = access::create_organization(pool, &system, "Shop", owner.user_id(), "free")
        .await
        .unwrap();
    let scope = Scope::for_member(org, owner.user_id());
    let membership = access::add_member(pool, &system, org, member.user_id())
        .await
        .unwrap();
    let role = access::create_role(pool, &scope, "baker").await.unwrap();
    Shop {
        system,
        org,
        owner: owner.user_id(),
        member: membership.id,
        role: role.id,
    }
}

/// Every operation of the access rules, by name.
pub(crate) fn all() -> Vec<(&'static str, Operation<Shop>)> {
    vec![
        ("sync_permissions", |fx| {
            Box::pin(async move {
                let system = &fx.rows.system;
                let _ = access::sync_permissions(&fx.pool, system, Permissions::ALL).await;
            })
        }),
        ("permissions", |fx| {
            Box::pin(async move {
                let _ = access::permissions(&fx.pool, &fx.rows.as_owner()).await;
            })
        }),
        ("grant", |fx| {
            Box::pin(async move {
                let owner = fx.rows.as_owner();
                let _ = access::grant::<EditRecipes, _, _>(&fx.pool, &owner, fx.rows.role).await;
            })
        }),
        ("assign and revoke a role", |fx| {
            Box::pin(async move {
                let owner = fx.rows.as_owner();
                let assigned =
                    access::assign_role(&fx.pool, &owner, fx.rows.member, fx.rows.role).await;
                if let Ok(assignment) = assigned {
                    let _ = access::revoke_role(&fx.pool, &owner, assignment.id).await;
                }
            })
        }),
        ("deactivate and restore a member", |fx| {
            Box::pin(async move {
                let owner = fx.rows.as_owner();
                let _ = access::deactivate_member(&fx.pool, &owner, fx.rows.member).await;
                let _ = access::restore_member(&fx.pool, &owner, fx.rows.member).await;
            })
        }),
        ("issue and revoke a session", |fx| {
            Box::pin(async move {
                let ttl = chrono::Duration::hours(1);
                let issued = access::issue_session(
                    &fx.pool,
                    fx.rows.owner,
                    Some(fx.rows.org),
                    ttl,
                    Utc::now(),
                )
                .await;
                if let Ok(token) = issued {
                    let _ = access::revoke_session(&fx.pool, token.expose(), Utc::now()).await;
                }
            })
        }),
        ("record and read the audit log", |fx| {
            Box::pin(async move {
                let detail = serde_json::json!({});
                let scope = fx.rows.as_owner();
                let _ =
                    access::record_app_event(&fx.pool, &scope, "batch.started", None, detail).await;
                let _ = access::audit_log(&fx.pool, &scope, &AuditQuery::new()).await;
            })
        }),
        ("billing state", |fx| {
            Box::pin(async move {
                let _ = access::billing::billing_state(&fx.pool, &fx.rows.as_owner()).await;
            })
        }),
        ("create an organization", |fx| {
            Box::pin(async move {
                let system = &fx.rows.system;
                let _ = access::create_organization(
                    &fx.system_pool,
                    system,
                    "Other",
                    fx.rows.owner,
                    "free",
                )
                .await;
            })
        }),
    ]
}
