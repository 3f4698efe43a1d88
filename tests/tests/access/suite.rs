//! Roles, typed permissions, membership, ownership, billing and Stripe
//! webhooks. Compiled once per backend: `Db` and `db()` come from the
//! parent module.

use chrono::{Duration, Utc};
use sqlx::Pool;
use tenancy_access::Credential;
use tenancy_access::billing::stripe::WebhookVerifier;
use tenancy_access::billing::{Access, BillingPolicy, Ignored, Standing, SubscriptionStatus};
use tenancy_access::billing::{WebhookFailure, WebhookOutcome};
use tenancy_access::{self as access, AuditQuery, EventKind, Role, Subject};
use tenancy_core::{Error, OrgId, Scope, UserId};

use super::{Db, db};
use crate::fixtures::{
    EditRecipes, ManageMembers, SECRET, Shop, ViewCosts, ViewRecipes, invoice_event, principal,
    shop, sign, subscription_event, system, user,
};

async fn role(pool: &Pool<Db>, scope: &Scope, name: &str) -> Role {
    access::create_role(pool, scope, name).await.unwrap()
}

async fn keys(pool: &Pool<Db>, scope: &Scope) -> Vec<String> {
    access::permissions(pool, scope)
        .await
        .unwrap()
        .keys()
        .map(str::to_owned)
        .collect()
}

async fn set_tier(pool: &Pool<Db>, org: OrgId, tier: &str) {
    sqlx::query("UPDATE organizations SET tier = $1 WHERE id = $2")
        .bind(tier)
        .bind(org)
        .execute(pool)
        .await
        .unwrap();
}

async fn events_of(pool: &Pool<Db>, scope: &Scope, kind: EventKind) -> usize {
    access::audit_log(pool, scope, &AuditQuery::new().limit(500))
        .await
        .unwrap()
        .events
        .iter()
        .filter(|e| e.event == kind.as_str())
        .count()
}

#[tokio::test]
async fn a_role_grants_its_permissions_within_the_tier() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let baker = role(&db, &s.as_owner(), "baker").await;
    access::grant::<EditRecipes, _, _>(db.pool(), &s.as_owner(), baker.id)
        .await
        .unwrap();
    access::grant::<ViewCosts, _, _>(db.pool(), &s.as_owner(), baker.id)
        .await
        .unwrap();

    assert!(
        keys(&db, &s.as_member()).await.is_empty(),
        "no role, no permission"
    );
    let denied = access::require::<EditRecipes, _, _>(db.pool(), &s.as_member()).await;
    assert!(matches!(denied, Err(Error::Forbidden)), "{denied:?}");

    access::assign_role(db.pool(), &s.as_owner(), s.member_ship.id, baker.id)
        .await
        .unwrap();
    assert_eq!(
        keys(&db, &s.as_member()).await,
        ["recipes.edit"],
        "the free tier withholds reports.costs"
    );
    access::require::<EditRecipes, _, _>(db.pool(), &s.as_member())
        .await
        .unwrap();
    let by_tier = access::require::<ViewCosts, _, _>(db.pool(), &s.as_member()).await;
    assert!(matches!(by_tier, Err(Error::Forbidden)), "{by_tier:?}");

    set_tier(&db, s.org, "team").await;
    assert_eq!(
        keys(&db, &s.as_member()).await,
        ["recipes.edit", "reports.costs"]
    );
    assert_eq!(
        events_of(&db, &s.as_owner(), EventKind::RoleAssigned).await,
        1
    );
}

#[tokio::test]
async fn a_revoked_role_stops_working_at_once_for_another_pool_too() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let baker = role(&db, &s.as_owner(), "baker").await;
    access::grant::<EditRecipes, _, _>(db.pool(), &s.as_owner(), baker.id)
        .await
        .unwrap();
    let assignment = access::assign_role(db.pool(), &s.as_owner(), s.member_ship.id, baker.id)
        .await
        .unwrap();
    let other_instance: Pool<Db> = sqlx::pool::PoolOptions::new()
        .max_connections(2)
        .connect_with((*db.connect_options()).clone())
        .await
        .unwrap();
    assert!(
        access::permissions(&other_instance, &s.as_member())
            .await
            .unwrap()
            .has::<EditRecipes>()
    );

    access::revoke_role(db.pool(), &s.as_owner(), assignment.id)
        .await
        .unwrap();
    let after = access::permissions(&other_instance, &s.as_member())
        .await
        .unwrap();
    assert!(
        !after.has::<EditRecipes>(),
        "the very next check sees the revocation"
    );
    assert_eq!(
        events_of(&db, &s.as_owner(), EventKind::RoleRevoked).await,
        1
    );
}

#[tokio::test]
async fn system_roles_are_given_by_a_system_scope_only() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let viewer = access::create_system_role(db.pool(), &system(), "viewer")
        .await
        .unwrap();
    access::grant_system(db.pool(), &system(), viewer.id, "recipes.view")
        .await
        .unwrap();
    let grant = access::grant::<EditRecipes, _, _>(db.pool(), &s.as_owner(), viewer.id).await;
    assert!(
        matches!(grant, Err(Error::Forbidden)),
        "an org cannot change a system role: {grant:?}"
    );

    let through_scope =
        access::assign_role(db.pool(), &s.as_owner(), s.member_ship.id, viewer.id).await;
    assert!(
        matches!(through_scope, Err(Error::Forbidden)),
        "{through_scope:?}"
    );
    assert!(keys(&db, &s.as_member()).await.is_empty());

    access::assign_system_role(db.pool(), &system(), s.org, s.member_ship.id, viewer.id)
        .await
        .unwrap();
    assert_eq!(keys(&db, &s.as_member()).await, ["recipes.view"]);
}

#[tokio::test]
async fn roles_and_members_of_another_org_are_refused() {
    let Some(db) = db().await else { return };
    let mine = shop(&db, "soapworks", "free").await;
    let theirs = shop(&db, "candleco", "free").await;
    let their_role = role(&db, &theirs.as_owner(), "chandler").await;
    let my_role = role(&db, &mine.as_owner(), "baker").await;

    let err = access::assign_role(
        db.pool(),
        &mine.as_owner(),
        mine.member_ship.id,
        their_role.id,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, Error::Invalid { field, .. } if field == "role_id"),
        "{err:?}"
    );
    let err = access::assign_role(
        db.pool(),
        &mine.as_owner(),
        theirs.member_ship.id,
        my_role.id,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, Error::Invalid { field, .. } if field == "membership_id"),
        "{err:?}"
    );
    assert!(keys(&db, &theirs.as_member()).await.is_empty());
}

#[tokio::test]
async fn deactivating_a_member_takes_their_roles_and_restoring_gives_back_exactly_those() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let owner = s.as_owner();
    let editor = role(&db, &owner, "editor").await;
    let viewer = role(&db, &owner, "viewer").await;
    let revoked_role = role(&db, &owner, "former").await;
    access::grant::<EditRecipes, _, _>(db.pool(), &owner, editor.id)
        .await
        .unwrap();
    access::grant::<ViewRecipes, _, _>(db.pool(), &owner, viewer.id)
        .await
        .unwrap();
    access::grant::<ViewCosts, _, _>(db.pool(), &owner, revoked_role.id)
        .await
        .unwrap();
    set_tier(&db, s.org, "team").await;
    for r in [&editor, &viewer] {
        access::assign_role(db.pool(), &owner, s.member_ship.id, r.id)
            .await
            .unwrap();
    }
    let former = access::assign_role(db.pool(), &owner, s.member_ship.id, revoked_role.id)
        .await
        .unwrap();
    access::revoke_role(db.pool(), &owner, former.id)
        .await
        .unwrap();
    assert_eq!(
        keys(&db, &s.as_member()).await,
        ["recipes.edit", "recipes.view"]
    );

    access::deactivate_member(db.pool(), &owner, s.member_ship.id)
        .await
        .unwrap();
    assert!(
        keys(&db, &s.as_member()).await.is_empty(),
        "a deactivated member holds nothing"
    );

    access::restore_member(db.pool(), &owner, s.member_ship.id)
        .await
        .unwrap();
    assert_eq!(
        keys(&db, &s.as_member()).await,
        ["recipes.edit", "recipes.view"],
        "the revoked role stays revoked"
    );
    assert_eq!(
        events_of(&db, &owner, EventKind::MemberDeactivated).await,
        1
    );
    assert_eq!(events_of(&db, &owner, EventKind::MemberRestored).await, 1);
}

#[tokio::test]
async fn the_owner_cannot_be_deactivated_and_holds_every_permission_of_the_tier() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let err = access::deactivate_member(db.pool(), &s.as_owner(), s.owner_ship.id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden), "{err:?}");
    assert_eq!(
        keys(&db, &s.as_owner()).await,
        ["members.manage", "recipes.edit", "recipes.view"],
        "no role needed; the free tier still withholds reports.costs"
    );
    let member_try = access::deactivate_member(db.pool(), &s.as_member(), s.owner_ship.id).await;
    assert!(
        matches!(member_try, Err(Error::Forbidden)),
        "{member_try:?}"
    );
}

#[tokio::test]
async fn ownership_moves_only_by_an_explicit_recorded_transfer() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let stranger = user(&db, "stranger@example.com").await;

    let by_member =
        access::transfer_ownership(db.pool(), &s.as_member(), principal(&s.member)).await;
    assert!(matches!(by_member, Err(Error::Forbidden)), "{by_member:?}");
    let to_stranger =
        access::transfer_ownership(db.pool(), &s.as_owner(), principal(&stranger)).await;
    assert!(
        matches!(&to_stranger, Err(Error::Invalid { field, .. }) if field == "owner"),
        "{to_stranger:?}"
    );

    access::transfer_ownership(db.pool(), &s.as_owner(), principal(&s.member))
        .await
        .unwrap();
    assert_eq!(
        access::owner(db.pool(), &s.as_owner()).await.unwrap(),
        Some(principal(&s.member))
    );
    assert_eq!(
        keys(&db, &s.as_member()).await,
        ["members.manage", "recipes.edit", "recipes.view"]
    );
    assert!(
        keys(&db, &s.as_owner()).await.is_empty(),
        "the former owner holds only their roles"
    );
    assert_eq!(
        events_of(&db, &s.as_member(), EventKind::OwnershipTransferred).await,
        1
    );
    // The new owner can now not be deactivated, and the former one can.
    let err = access::deactivate_member(db.pool(), &s.as_member(), s.member_ship.id).await;
    assert!(matches!(err, Err(Error::Forbidden)), "{err:?}");
    access::deactivate_member(db.pool(), &s.as_member(), s.owner_ship.id)
        .await
        .unwrap();
}

/// What each standing may do under each status, in or after grace.
fn expected(status: SubscriptionStatus, standing: Standing, in_grace: bool) -> &'static str {
    use SubscriptionStatus as S;
    match (standing, status) {
        (Standing::Developer, _) | (_, S::Active | S::Trialing) => "allowed",
        (_, S::PastDue | S::Unpaid | S::Incomplete) if in_grace => "grace",
        (Standing::Owner, _) => "owner_only",
        _ => "denied",
    }
}

fn kind(access: &Access) -> &'static str {
    match access {
        Access::Allowed => "allowed",
        Access::Grace { .. } => "grace",
        Access::OwnerOnly(_) => "owner_only",
        Access::Denied(_) => "denied",
        _ => "other",
    }
}

#[tokio::test]
async fn every_billing_status_for_the_owner_a_member_and_a_developer() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "team").await;
    let developer = Scope::for_developer(s.org, UserId::new(999));
    let policy = BillingPolicy::default();
    let now = Utc::now();
    for status in SubscriptionStatus::ALL {
        for (in_grace, since) in [
            (true, now - Duration::days(1)),
            (false, now - Duration::days(30)),
        ] {
            sqlx::query("UPDATE organizations SET subscription_status = $1, delinquent_since = $2 WHERE id = $3")
                .bind(status.as_str())
                .bind(since)
                .bind(s.org)
                .execute(db.pool())
                .await
                .unwrap();
            for (standing, scope) in [
                (Standing::Owner, s.as_owner()),
                (Standing::Member, s.as_member()),
                (Standing::Developer, developer.clone()),
            ] {
                let access = access::billing::may_act(db.pool(), &scope, &policy, now)
                    .await
                    .unwrap();
                assert_eq!(
                    kind(&access),
                    expected(status, standing, in_grace),
                    "{status:?} for {standing:?}, in grace: {in_grace}"
                );
            }
        }
    }
}

async fn webhook(db: &Pool<Db>, body: &str) -> Result<WebhookOutcome, WebhookFailure> {
    let now = Utc::now();
    access::billing::apply_stripe_webhook(
        db,
        &WebhookVerifier::new(SECRET),
        &sign(body, now, SECRET),
        body.as_bytes(),
        now,
    )
    .await
}

async fn stored_events(db: &Pool<Db>) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM stripe_events")
        .fetch_one(db)
        .await
        .unwrap()
}

async fn status_of(db: &Pool<Db>, shop: &Shop) -> Option<SubscriptionStatus> {
    access::billing::billing_state(db, &shop.as_owner())
        .await
        .unwrap()
        .status
}

#[tokio::test]
async fn a_signed_webhook_is_applied_once() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    access::billing::link_stripe_customer(db.pool(), &system(), s.org, "cus_1")
        .await
        .unwrap();
    let now = Utc::now();

    let created = subscription_event(
        "evt_1",
        "created",
        "active",
        "team",
        now - Duration::minutes(3),
    );
    assert_eq!(
        webhook(&db, &created).await.unwrap(),
        WebhookOutcome::Applied { org: s.org }
    );
    let state = access::billing::billing_state(db.pool(), &s.as_owner())
        .await
        .unwrap();
    assert_eq!(
        (state.status, state.tier.as_str()),
        (Some(SubscriptionStatus::Active), "team")
    );

    assert_eq!(
        webhook(&db, &created).await.unwrap(),
        WebhookOutcome::Duplicate
    );
    assert_eq!(
        stored_events(&db).await,
        1,
        "a duplicate is not stored twice"
    );

    let failed = invoice_event("evt_2", "payment_failed", now - Duration::minutes(2));
    assert_eq!(
        webhook(&db, &failed).await.unwrap(),
        WebhookOutcome::Applied { org: s.org }
    );
    assert_eq!(status_of(&db, &s).await, Some(SubscriptionStatus::PastDue));
    let paid = invoice_event("evt_3", "paid", now - Duration::minutes(1));
    assert_eq!(
        webhook(&db, &paid).await.unwrap(),
        WebhookOutcome::Applied { org: s.org }
    );
    assert_eq!(status_of(&db, &s).await, Some(SubscriptionStatus::Active));

    let deleted = subscription_event("evt_4", "deleted", "canceled", "team", now);
    webhook(&db, &deleted).await.unwrap();
    let access =
        access::billing::may_act(db.pool(), &s.as_member(), &BillingPolicy::default(), now)
            .await
            .unwrap();
    assert_eq!(
        kind(&access),
        "denied",
        "a canceled subscription locks members out"
    );
    assert_eq!(
        events_of(&db, &s.as_owner(), EventKind::BillingStateChanged).await,
        4
    );
}

#[tokio::test]
async fn forged_stale_and_malformed_webhooks_change_nothing() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    access::billing::link_stripe_customer(db.pool(), &system(), s.org, "cus_1")
        .await
        .unwrap();
    let verifier = WebhookVerifier::new(SECRET);
    let now = Utc::now();
    let body = subscription_event("evt_1", "updated", "past_due", "team", now);
    let attempts = [
        (
            "wrong secret",
            sign(&body, now, "whsec_forged"),
            body.clone(),
            now,
        ),
        (
            "tampered body",
            sign(&body, now, SECRET),
            body.replace("past_due", "active"),
            now,
        ),
        (
            "stale",
            sign(&body, now - Duration::minutes(10), SECRET),
            body.clone(),
            now,
        ),
        (
            "from the future",
            sign(&body, now + Duration::minutes(10), SECRET),
            body.clone(),
            now,
        ),
        ("no signature", String::new(), body.clone(), now),
    ];
    for (what, header, sent, at) in attempts {
        let result = access::billing::apply_stripe_webhook(
            db.pool(),
            &verifier,
            &header,
            sent.as_bytes(),
            at,
        )
        .await;
        assert!(
            matches!(result, Err(WebhookFailure::Signature(_))),
            "{what}: {result:?}"
        );
    }
    let garbage = "{\"id\": \"evt_9\", \"type\": ";
    let result = webhook(&db, garbage).await;
    assert!(
        matches!(result, Err(WebhookFailure::Payload(_))),
        "{result:?}"
    );
    assert_eq!(stored_events(&db).await, 0);
    assert_eq!(status_of(&db, &s).await, None);
}

#[tokio::test]
async fn an_older_event_after_a_newer_one_is_ignored() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    access::billing::link_stripe_customer(db.pool(), &system(), s.org, "cus_1")
        .await
        .unwrap();
    let now = Utc::now();
    let newer = subscription_event(
        "evt_new",
        "updated",
        "active",
        "team",
        now - Duration::minutes(1),
    );
    let older = subscription_event(
        "evt_old",
        "updated",
        "past_due",
        "team",
        now - Duration::minutes(4),
    );
    webhook(&db, &newer).await.unwrap();
    let outcome = webhook(&db, &older).await.unwrap();
    assert_eq!(
        outcome,
        WebhookOutcome::Ignored {
            org: Some(s.org),
            reason: Ignored::Stale
        }
    );
    assert_eq!(status_of(&db, &s).await, Some(SubscriptionStatus::Active));
    assert_eq!(
        webhook(&db, &older).await.unwrap(),
        WebhookOutcome::Duplicate,
        "recorded even when ignored"
    );
}

#[tokio::test]
async fn an_event_of_a_customer_not_yet_linked_applies_on_stripes_retry() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let body = subscription_event("evt_1", "created", "active", "team", Utc::now());
    assert_eq!(
        webhook(&db, &body).await.unwrap(),
        WebhookOutcome::UnknownCustomer
    );
    assert_eq!(
        stored_events(&db).await,
        0,
        "not recorded, so that a retry applies it"
    );
    assert_eq!(status_of(&db, &s).await, None);
    access::billing::link_stripe_customer(db.pool(), &system(), s.org, "cus_1")
        .await
        .unwrap();
    assert_eq!(
        webhook(&db, &body).await.unwrap(),
        WebhookOutcome::Applied { org: s.org }
    );
    assert_eq!(status_of(&db, &s).await, Some(SubscriptionStatus::Active));
}

#[tokio::test]
async fn a_rotated_secret_and_any_of_several_signatures_verify() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    access::billing::link_stripe_customer(db.pool(), &system(), s.org, "cus_1")
        .await
        .unwrap();
    let now = Utc::now();
    let body = subscription_event("evt_1", "created", "trialing", "team", now);
    // Stripe signs with the old and the new secret while a rotation runs.
    let old = sign(&body, now, "whsec_old");
    let new = sign(&body, now, SECRET);
    let new_v1 = new.split_once(",v1=").map(|(_, v)| v).unwrap();
    let header = format!("{old},v1={new_v1}");
    let verifier = WebhookVerifier::new("whsec_retired").with_secret(SECRET);
    let outcome =
        access::billing::apply_stripe_webhook(db.pool(), &verifier, &header, body.as_bytes(), now)
            .await
            .unwrap();
    assert_eq!(outcome, WebhookOutcome::Applied { org: s.org });
    assert_eq!(status_of(&db, &s).await, Some(SubscriptionStatus::Trialing));
}

#[tokio::test]
async fn app_events_are_recorded_in_their_organizations_audit_log_only() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let batch = Subject::new("batch", 7);
    for (kind, subject) in [
        ("batch.started", Some(batch.clone())),
        ("stock.adjusted", None),
        ("batch.finished", Some(batch.clone())),
    ] {
        let detail = serde_json::json!({ "ip": "127.0.0.1" });
        access::record_app_event(db.pool(), &s.as_member(), kind, subject, detail)
            .await
            .unwrap();
    }
    let about = AuditQuery::new().subject(batch.clone());
    let logged = access::audit_log(db.pool(), &s.as_owner(), &about)
        .await
        .unwrap();
    let names: Vec<&str> = logged.events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names, ["batch.finished", "batch.started"]);
    assert_eq!(logged.events[0].detail["ip"], "127.0.0.1");
    assert_eq!(logged.events[0].actor_id, Some(principal(&s.member)));
    assert_eq!(logged.events[0].subject, Some(batch));
    assert_eq!(logged.next, None);

    let by_actor = AuditQuery::new().actor(principal(&s.member)).limit(2);
    let first = access::audit_log(db.pool(), &s.as_owner(), &by_actor)
        .await
        .unwrap();
    assert_eq!(first.events.len(), 2);
    let rest = by_actor.clone().after(first.next.expect("a second page"));
    let second = access::audit_log(db.pool(), &s.as_owner(), &rest)
        .await
        .unwrap();
    let names: Vec<&str> = second.events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        names,
        ["batch.started"],
        "pages follow each other without overlap"
    );
    assert_eq!(second.next, None);

    let listed_by_member = access::audit_log(db.pool(), &s.as_member(), &AuditQuery::new()).await;
    assert!(
        matches!(listed_by_member, Err(Error::Forbidden)),
        "{listed_by_member:?}"
    );
    let forged = access::record_app_event(
        db.pool(),
        &s.as_member(),
        "role.assigned",
        None,
        serde_json::json!({}),
    )
    .await;
    assert!(matches!(forged, Err(Error::Invalid { .. })), "{forged:?}");
    let theirs = shop(&db, "candleco", "free").await;
    let other = access::audit_log(
        db.pool(),
        &theirs.as_owner(),
        &AuditQuery::new().event("batch.started"),
    )
    .await
    .unwrap();
    assert!(
        other.events.is_empty(),
        "an organization reads its own audit log only"
    );
    let huge = access::audit_log(db.pool(), &s.as_owner(), &AuditQuery::new().limit(501)).await;
    assert!(matches!(huge, Err(Error::Invalid { .. })), "{huge:?}");
}

#[tokio::test]
async fn only_the_owner_or_a_member_granted_members_manage_manages_roles() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let editor = role(&db, &s.as_owner(), "editor").await;
    access::grant::<EditRecipes, _, _>(db.pool(), &s.as_owner(), editor.id)
        .await
        .unwrap();

    let own_promotion =
        access::assign_role(db.pool(), &s.as_member(), s.member_ship.id, editor.id).await;
    assert!(
        matches!(own_promotion, Err(Error::Forbidden)),
        "{own_promotion:?}"
    );
    let own_grant = access::grant::<ViewRecipes, _, _>(db.pool(), &s.as_member(), editor.id).await;
    assert!(matches!(own_grant, Err(Error::Forbidden)), "{own_grant:?}");
    assert!(keys(&db, &s.as_member()).await.is_empty());

    let manager = role(&db, &s.as_owner(), "manager").await;
    access::grant::<ManageMembers, _, _>(db.pool(), &s.as_owner(), manager.id)
        .await
        .unwrap();
    access::assign_role(db.pool(), &s.as_owner(), s.member_ship.id, manager.id)
        .await
        .unwrap();
    // A manager hands out only what they hold: not `recipes.edit` yet.
    let beyond = access::assign_role(db.pool(), &s.as_member(), s.member_ship.id, editor.id).await;
    assert!(matches!(beyond, Err(Error::Forbidden)), "{beyond:?}");
    access::grant::<EditRecipes, _, _>(db.pool(), &s.as_owner(), manager.id)
        .await
        .unwrap();
    access::assign_role(db.pool(), &s.as_member(), s.member_ship.id, editor.id)
        .await
        .unwrap();
    assert_eq!(
        keys(&db, &s.as_member()).await,
        ["members.manage", "recipes.edit"]
    );

    let twice = access::assign_role(db.pool(), &s.as_owner(), s.member_ship.id, editor.id).await;
    assert!(
        matches!(twice, Err(Error::Conflict { .. })),
        "one active assignment per role: {twice:?}"
    );
}

#[tokio::test]
async fn a_session_acts_in_the_organization_it_signed_in_to() {
    let Some(db) = db().await else { return };
    let first = shop(&db, "soapworks", "free").await;
    let second = shop(&db, "candleco", "free").await;
    // The first shop's member joins the second shop too.
    access::add_member(db.pool(), &system(), second.org, principal(&first.member))
        .await
        .unwrap();
    let now = Utc::now();
    let token = access::sign_in(
        db.pool(),
        principal(&first.member),
        Some(second.org),
        &BillingPolicy::default(),
        Duration::hours(1),
        now,
    )
    .await
    .unwrap();
    let context = access::request_context(
        db.pool(),
        &Credential::Token(token.expose().to_owned()),
        None,
        now,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(context.org, Some(second.org));
    assert!(context.is_member);
    assert_eq!(context.memberships.len(), 2);
    let nobody = access::sign_in(
        db.pool(),
        UserId::new(424_242),
        None,
        &BillingPolicy::default(),
        Duration::hours(1),
        now,
    )
    .await;
    assert!(
        matches!(
            nobody,
            Err(access::SignInError::Refused(access::Refusal::NotAMember))
        ),
        "{nobody:?}"
    );
}
