//! The verified cache of request contexts: served after a check while
//! nothing changed, read again after any change of an access table by any
//! path, never for a revoked or expired session. Compiled once per backend:
//! `Db` and `db()` come from the parent module.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sqlx::Pool;
use tenancy_access::billing::SubscriptionStatus;
use tenancy_access::{self as access, CacheStats, ContextCache, Credential, RequestContext, Role};
use tenancy_core::{Error, OrgId};

use super::{Db, db};
use crate::fixtures::{
    AppPermissions, EditRecipes, Shop, ViewRecipes, principal, shop, system, user,
};

async fn version(pool: &Pool<Db>) -> i64 {
    sqlx::query_scalar("SELECT version FROM access_version")
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn raw(pool: &Pool<Db>, sql: &'static str) {
    let done = sqlx::query(sql).execute(pool).await.unwrap();
    assert!(done.rows_affected() > 0, "`{sql}` changed nothing");
}

async fn context(
    pool: &Pool<Db>,
    cache: &ContextCache,
    credential: &Credential,
    requested: Option<OrgId>,
    now: DateTime<Utc>,
) -> Option<Arc<RequestContext>> {
    cache
        .request_context(pool, credential, requested, now)
        .await
        .unwrap()
}

/// A role of `shop` granting `recipes.edit`.
async fn baker(pool: &Pool<Db>, shop: &Shop) -> Role {
    let role = access::create_role(pool, &shop.as_owner(), "baker")
        .await
        .unwrap();
    access::grant::<EditRecipes, _, _>(pool, &shop.as_owner(), role.id)
        .await
        .unwrap();
    role
}

fn stats(hits: u64, reloads: u64, misses: u64) -> CacheStats {
    let mut stats = CacheStats::default();
    stats.hits = hits;
    stats.reloads = reloads;
    stats.misses = misses;
    stats
}

#[tokio::test]
async fn every_change_a_context_reads_replaces_the_version_and_nothing_else_does() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let baker = baker(&db, &s).await;
    access::assign_role(db.pool(), &s.as_owner(), s.member_ship.id, baker.id)
        .await
        .unwrap();

    let mut seen = vec![version(&db).await];
    let changes = [
        "INSERT INTO subscription_tiers (key, rank) VALUES ('pro', 30)",
        "UPDATE users SET is_developer = is_developer",
        "UPDATE organizations SET tier = tier",
        "UPDATE memberships SET is_active = is_active",
        "UPDATE permissions SET required_tier = required_tier",
        "UPDATE roles SET is_active = is_active",
        "UPDATE user_role_assignments SET is_active = is_active",
        "DELETE FROM role_permissions",
    ];
    for sql in changes {
        raw(&db, sql).await;
        let now = version(&db).await;
        assert!(!seen.contains(&now), "`{sql}` left the version");
        seen.push(now);
    }
    if <Db as sqlx::Database>::NAME == "PostgreSQL" {
        sqlx::query("TRUNCATE role_permissions")
            .execute(db.pool())
            .await
            .unwrap();
        assert!(!seen.contains(&version(&db).await), "TRUNCATE left it");
    }

    // What no context reads keeps it: names, descriptions, and syncing the
    // same permissions again (as every app instance does when it starts).
    let before = version(&db).await;
    for sql in [
        "UPDATE users SET name = 'renamed'",
        "UPDATE organizations SET name = 'renamed'",
        "UPDATE permissions SET description = 'changed'",
        "UPDATE roles SET name = 'renamed'",
    ] {
        raw(&db, sql).await;
    }
    access::sync_permissions(db.pool(), &system(), AppPermissions::ALL)
        .await
        .unwrap();
    assert_ne!(version(&db).await, before, "the descriptions were restored");
    let before = version(&db).await;
    access::sync_permissions(db.pool(), &system(), AppPermissions::ALL)
        .await
        .unwrap();
    assert_eq!(version(&db).await, before);

    // A change rolled back leaves the version where it was.
    let mut tx = db.pool().begin().await.unwrap();
    sqlx::query("UPDATE memberships SET is_active = FALSE")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(version(&db).await, before);

    // Sessions, the audit log and Stripe's event ids are no access rules:
    // signing in and out keeps every cached context.
    let token = access::issue_session(
        db.pool(),
        principal(&s.member),
        Some(s.org),
        Duration::hours(1),
        Utc::now(),
    )
    .await
    .unwrap();
    access::revoke_session(db.pool(), token.expose(), Utc::now())
        .await
        .unwrap();
    access::record_app_event(
        db.pool(),
        &s.as_member(),
        "batch.started",
        None,
        serde_json::json!({}),
    )
    .await
    .unwrap();
    assert_eq!(version(&db).await, before);
}

#[tokio::test]
async fn without_its_triggers_the_cache_reads_every_context() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let drop = if <Db as sqlx::Database>::NAME == "PostgreSQL" {
        "DROP TRIGGER memberships_access_version ON memberships"
    } else {
        "DROP TRIGGER memberships_access_version_update"
    };
    sqlx::query(drop).execute(db.pool()).await.unwrap();
    let credential = Credential::User(principal(&s.member));
    let cache = ContextCache::default();
    assert!(
        context(&db, &cache, &credential, None, Utc::now())
            .await
            .unwrap()
            .is_member
    );
    access::deactivate_member(db.pool(), &s.as_owner(), s.member_ship.id)
        .await
        .unwrap();
    let gone = context(&db, &cache, &credential, Some(s.org), Utc::now())
        .await
        .unwrap();
    assert!(!gone.is_member, "read in full, not from the cache");
    assert_eq!(cache.stats(), stats(0, 0, 2));
    assert!(cache.is_empty());
}

#[tokio::test]
async fn refused_contexts_are_not_kept() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let other = shop(&db, "candleco", "free").await;
    let credential = Credential::User(principal(&s.member));
    let cache = ContextCache::default();
    for org in [other.org, OrgId::new(999_999)] {
        let refused = context(&db, &cache, &credential, Some(org), Utc::now())
            .await
            .unwrap();
        assert!(!refused.is_member);
    }
    assert!(cache.is_empty());
    context(&db, &cache, &credential, Some(s.org), Utc::now()).await;
    assert_eq!(cache.len(), 1);
}

#[tokio::test]
async fn a_cached_context_is_served_until_any_access_change() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let baker = baker(&db, &s).await;
    access::grant::<ViewRecipes, _, _>(db.pool(), &s.as_owner(), baker.id)
        .await
        .unwrap();
    let assignment = access::assign_role(db.pool(), &s.as_owner(), s.member_ship.id, baker.id)
        .await
        .unwrap();
    let now = Utc::now();
    let token = access::issue_session(
        db.pool(),
        principal(&s.member),
        None,
        Duration::hours(1),
        now,
    )
    .await
    .unwrap();
    let credential = Credential::Token(token.expose().to_owned());
    let cache = ContextCache::default();

    let first = context(&db, &cache, &credential, None, now).await.unwrap();
    assert_eq!(first.org, Some(s.org));
    assert!(first.permissions.has::<EditRecipes>());
    let second = context(&db, &cache, &credential, None, now).await.unwrap();
    assert!(Arc::ptr_eq(&first, &second), "served from the cache");
    assert_eq!(cache.stats(), stats(1, 0, 1));
    assert_eq!(
        *first,
        access::request_context(db.pool(), &credential, None, now)
            .await
            .unwrap()
            .unwrap(),
        "the cached context is the one read in full"
    );

    // A hand-written statement, as another app instance might run it.
    raw(
        &db,
        "DELETE FROM role_permissions WHERE permission_id = \
         (SELECT id FROM permissions WHERE key = 'recipes.view')",
    )
    .await;
    let after = context(&db, &cache, &credential, None, now).await.unwrap();
    assert!(after.permissions.has::<EditRecipes>());
    assert!(!after.permissions.has::<ViewRecipes>());
    assert_eq!(cache.stats(), stats(1, 1, 1));

    access::revoke_role(db.pool(), &s.as_owner(), assignment.id)
        .await
        .unwrap();
    let revoked = context(&db, &cache, &credential, None, now).await.unwrap();
    assert!(revoked.permissions.keys().next().is_none(), "{revoked:?}");

    access::deactivate_member(db.pool(), &s.as_owner(), s.member_ship.id)
        .await
        .unwrap();
    let gone = context(&db, &cache, &credential, None, now).await.unwrap();
    assert!(!gone.is_member);

    // Billing is read again too (the gate weighs it against the clock).
    raw(
        &db,
        "UPDATE organizations SET subscription_status = 'canceled'",
    )
    .await;
    let lapsed = context(&db, &cache, &credential, Some(s.org), now)
        .await
        .unwrap();
    let status = lapsed.billing.as_ref().and_then(|b| b.status);
    assert_eq!(status, Some(SubscriptionStatus::Canceled));
    assert_eq!(cache.stats(), stats(1, 3, 2));
}

#[tokio::test]
async fn a_revoked_or_expired_session_is_refused_though_cached() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let now = Utc::now();
    let token = access::issue_session(
        db.pool(),
        principal(&s.member),
        None,
        Duration::hours(1),
        now,
    )
    .await
    .unwrap();
    let credential = Credential::Token(token.expose().to_owned());
    let cache = ContextCache::default();
    assert!(context(&db, &cache, &credential, None, now).await.is_some());
    assert!(context(&db, &cache, &credential, None, now).await.is_some());

    let later = now + Duration::hours(2);
    assert!(
        context(&db, &cache, &credential, None, later)
            .await
            .is_none()
    );
    assert!(cache.is_empty(), "the stale entry is dropped");

    assert!(context(&db, &cache, &credential, None, now).await.is_some());
    access::revoke_session(db.pool(), token.expose(), now)
        .await
        .unwrap();
    assert!(context(&db, &cache, &credential, None, now).await.is_none());
    let unknown = Credential::Token("not a token".into());
    assert!(context(&db, &cache, &unknown, None, now).await.is_none());
    assert!(cache.is_empty(), "nothing is cached for nobody");
}

#[tokio::test]
async fn a_developer_switch_moves_the_cached_organization() {
    let Some(db) = db().await else { return };
    let first = shop(&db, "soapworks", "free").await;
    let second = shop(&db, "candleco", "free").await;
    let now = Utc::now();
    let developer = user(&db, "developer@tenancy.test").await;
    sqlx::query("UPDATE users SET is_developer = TRUE WHERE id = $1")
        .bind(developer.id)
        .execute(db.pool())
        .await
        .unwrap();
    let token = access::issue_session(
        db.pool(),
        principal(&developer),
        Some(first.org),
        Duration::hours(1),
        now,
    )
    .await
    .unwrap();
    let credential = Credential::Token(token.expose().to_owned());
    let cache = ContextCache::default();

    let here = context(&db, &cache, &credential, None, now).await.unwrap();
    assert_eq!(here.org, Some(first.org));
    assert!(here.is_developer);
    let there = context(&db, &cache, &credential, Some(second.org), now)
        .await
        .unwrap();
    access::select_org(db.pool(), &there, second.org, now)
        .await
        .unwrap();
    let kept = context(&db, &cache, &credential, None, now).await.unwrap();
    assert_eq!(kept.org, Some(second.org), "the session's new organization");
}

#[tokio::test]
async fn a_user_the_app_authenticated_is_cached_and_checked_too() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let now = Utc::now();
    let credential = Credential::User(principal(&s.member));
    let cache = ContextCache::default();
    assert!(
        context(&db, &cache, &credential, None, now)
            .await
            .unwrap()
            .is_member
    );
    assert!(
        context(&db, &cache, &credential, None, now)
            .await
            .unwrap()
            .is_member
    );
    access::deactivate_member(db.pool(), &s.as_owner(), s.member_ship.id)
        .await
        .unwrap();
    let gone = context(&db, &cache, &credential, Some(s.org), now)
        .await
        .unwrap();
    assert!(!gone.is_member);
    let gone = context(&db, &cache, &credential, None, now).await.unwrap();
    assert_eq!(gone.org, None, "no organization left");
    assert_eq!(cache.stats(), stats(1, 1, 2));
}

#[tokio::test]
async fn a_cache_of_no_capacity_reads_every_context() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let credential = Credential::User(principal(&s.member));
    let cache = ContextCache::new(0);
    for _ in 0..3 {
        assert!(
            context(&db, &cache, &credential, None, Utc::now())
                .await
                .is_some()
        );
    }
    assert_eq!(cache.stats(), stats(0, 0, 3));
    assert!(cache.is_empty());
}

/// Writers revoke and grant roles, deactivate and restore members and
/// change the billing customer while readers go through the cache; once
/// all is done, every cached context is the one a full read gives. On
/// PostgreSQL, where these transactions lock rows of the same organization
/// and the one version row at once, none of them deadlocks.
#[tokio::test]
async fn concurrent_changes_leave_no_stale_context_and_no_deadlock() {
    const ROUNDS: usize = 15;
    let Some(db) = db().await else { return };
    if <Db as sqlx::Database>::NAME != "PostgreSQL" {
        // SQLite has one writer at a time: nothing to interleave.
        return;
    }
    let s = shop(&db, "soapworks", "free").await;
    let baker = baker(&db, &s).await;
    let pool = db.pool().clone();
    let cache = ContextCache::default();
    let credential = Credential::User(principal(&s.member));
    let roles = {
        let (pool, scope, membership) = (pool.clone(), s.as_owner(), s.member_ship.id);
        tokio::spawn(async move {
            for _ in 0..ROUNDS {
                // The member may be deactivated in between: the assignment
                // is then refused (`Invalid`), or revoked with them
                // (`NotFound`); once restored with them, the next one is a
                // duplicate (`Conflict`), and a write that a deactivation
                // and restore raced past is `Conflict` too (to retry).
                match access::assign_role(&pool, &scope, membership, baker.id).await {
                    Ok(assigned) => match access::revoke_role(&pool, &scope, assigned.id).await {
                        Ok(_) | Err(Error::NotFound { .. } | Error::Conflict { .. }) => {}
                        Err(other) => panic!("{other:?}"),
                    },
                    Err(Error::Invalid { .. } | Error::Conflict { .. }) => {}
                    Err(other) => panic!("{other:?}"),
                }
            }
        })
    };
    let members = {
        let (pool, scope, membership) = (pool.clone(), s.as_owner(), s.member_ship.id);
        tokio::spawn(async move {
            for _ in 0..ROUNDS {
                access::deactivate_member(&pool, &scope, membership)
                    .await
                    .unwrap();
                access::restore_member(&pool, &scope, membership)
                    .await
                    .unwrap();
            }
        })
    };
    let billing = {
        let (pool, org) = (pool.clone(), s.org);
        tokio::spawn(async move {
            for round in 0..ROUNDS {
                access::billing::link_stripe_customer(
                    &pool,
                    &system(),
                    org,
                    &format!("cus_{round}"),
                )
                .await
                .unwrap();
            }
        })
    };
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (pool, cache, credential) = (pool.clone(), cache.clone(), credential.clone());
            tokio::spawn(async move {
                for _ in 0..ROUNDS * 4 {
                    cache
                        .request_context(&pool, &credential, None, Utc::now())
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for task in [roles, members, billing].into_iter().chain(readers) {
        task.await.unwrap();
    }
    let now = Utc::now();
    let cached = context(&db, &cache, &credential, None, now).await.unwrap();
    let full = access::request_context(db.pool(), &credential, None, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(*cached, full);
    assert!(cached.is_member);
    assert_eq!(
        cached
            .billing
            .as_ref()
            .unwrap()
            .stripe_customer_id
            .as_deref(),
        Some(format!("cus_{}", ROUNDS - 1).as_str())
    );
}
