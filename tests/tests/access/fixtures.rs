//! The app's permissions and people every test starts from, and signed
//! Stripe webhooks.

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tenancy_access::{self as access, Membership, NewUser, User};
use tenancy_core::{OrgId, Scope, Scoped, SystemScope, UserId};

tenancy_access::permissions! {
    /// What the test app's users may be allowed to do.
    pub(crate) AppPermissions {
        /// Create and edit recipes.
        EditRecipes: "recipes.edit", category "recipes";
        /// Read recipes.
        ViewRecipes: "recipes.view", category "recipes";
        /// See what batches cost: team tier and up.
        ViewCosts: "reports.costs", category "reports", tier "team";
        /// Manage the organization's members and roles.
        ManageMembers: "members.manage", category "members";
    }
}

/// The webhook secret of the tests.
pub(crate) const SECRET: &str = "whsec_test_secret";

pub(crate) fn system() -> SystemScope {
    SystemScope::new("access suite").expect("a reason")
}

/// An organization with its owner, a member and their memberships.
pub(crate) struct Shop {
    pub(crate) org: OrgId,
    pub(crate) owner: User,
    pub(crate) member: User,
    pub(crate) member_ship: Membership,
    pub(crate) owner_ship: Membership,
}

impl Shop {
    pub(crate) fn as_owner(&self) -> Scope {
        Scope::for_member(self.org, self.owner.user_id())
    }

    pub(crate) fn as_member(&self) -> Scope {
        Scope::for_member(self.org, self.member.user_id())
    }
}

pub(crate) async fn user<DB>(pool: &sqlx::Pool<DB>, email: &str) -> User
where
    DB: tenancy_access::AccessStore,
{
    let new = NewUser {
        email: email.into(),
        name: email.into(),
        is_developer: false,
    };
    access::create_user(pool, &system(), new).await.unwrap()
}

/// A shop on `tier`, with the permissions synced.
pub(crate) async fn shop<DB>(pool: &sqlx::Pool<DB>, name: &str, tier: &str) -> Shop
where
    DB: tenancy_access::AccessStore,
    Membership: tenancy_core::RowCodec<DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    access::sync_permissions(pool, &system(), AppPermissions::ALL)
        .await
        .unwrap();
    let owner = user(pool, &format!("owner@{name}")).await;
    let member = user(pool, &format!("member@{name}")).await;
    let org = access::create_organization(pool, &system(), name, owner.user_id(), tier)
        .await
        .unwrap();
    let scope = Scope::for_member(org, owner.user_id());
    let member_ship = access::add_member(pool, &system(), org, member.user_id())
        .await
        .unwrap();
    let owner_ship = Membership::select(&scope)
        .filter(Membership::USER_ID.eq(owner.id))
        .fetch_optional(pool)
        .await
        .unwrap()
        .unwrap();
    Shop {
        org,
        owner,
        member,
        member_ship,
        owner_ship,
    }
}

/// A Stripe-Signature header for `body`, signed at `at` with `secret`.
pub(crate) fn sign(body: &str, at: DateTime<Utc>, secret: &str) -> String {
    let t = at.timestamp();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// A `customer.subscription.*` event.
pub(crate) fn subscription_event(
    id: &str,
    kind: &str,
    status: &str,
    tier: &str,
    at: DateTime<Utc>,
) -> String {
    serde_json::json!({
        "id": id,
        "object": "event",
        "type": format!("customer.subscription.{kind}"),
        "created": at.timestamp(),
        "data": { "object": {
            "id": "sub_1",
            "object": "subscription",
            "customer": "cus_1",
            "status": status,
            "metadata": { "tier": tier },
        } },
    })
    .to_string()
}

/// An `invoice.*` event.
pub(crate) fn invoice_event(id: &str, kind: &str, at: DateTime<Utc>) -> String {
    serde_json::json!({
        "id": id,
        "object": "event",
        "type": format!("invoice.{kind}"),
        "created": at.timestamp(),
        "data": { "object": {
            "id": "in_1",
            "object": "invoice",
            "customer": "cus_1",
            "subscription": "sub_1",
        } },
    })
    .to_string()
}

/// The id a user has as a principal.
pub(crate) fn principal(user: &User) -> UserId {
    user.user_id()
}
