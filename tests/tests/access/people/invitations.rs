//! Invitations: single use, expiry, revocation, existing accounts, and
//! what an invitation may not give.

use chrono::{Duration, Utc};
use tenancy_access::{self as access, Acceptance, Credential, EventKind, Invitation};
use tenancy_core::{Error, Scope, Scoped};

use super::super::db;
use super::*;
use crate::fixtures::{EditRecipes, principal, shop, system};

#[tokio::test]
async fn an_invitation_makes_a_user_and_a_member_once() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let theirs = shop(&db, "candleco", "free").await;
    let passwords = passwords();
    let baker = access::create_role(db.pool(), &s.as_owner(), "baker")
        .await
        .unwrap();
    access::grant::<EditRecipes, _, _>(db.pool(), &s.as_owner(), baker.id)
        .await
        .unwrap();
    let (invitation, token) = access::invite(
        db.pool(),
        &s.as_owner(),
        "New.Baker@Example.com",
        Some(baker.id),
        Duration::days(7),
    )
    .await
    .unwrap();
    assert_eq!(invitation.email, "new.baker@example.com");
    assert!(!format!("{token:?}").contains(token.expose()));

    // Another organization sees nothing of it.
    let foreign = Invitation::find(&theirs.as_owner(), invitation.id)
        .fetch_one(db.pool())
        .await;
    assert!(
        matches!(foreign, Err(Error::NotFound { .. })),
        "{foreign:?}"
    );
    let revoked = access::revoke_invitation(db.pool(), &theirs.as_owner(), invitation.id).await;
    assert!(
        matches!(revoked, Err(Error::NotFound { .. })),
        "{revoked:?}"
    );
    let listed = Invitation::select(&s.as_owner())
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);

    let accepted = access::accept_invitation(
        db.pool(),
        &passwords,
        token.expose(),
        Acceptance::new("New Baker", "flour and water"),
        None,
    )
    .await
    .unwrap();
    assert!(accepted.created);
    let baker = access::user(db.pool(), &system(), accepted.user_id)
        .await
        .unwrap();
    assert_eq!(baker.name, "New Baker");
    assert_eq!(accepted.membership.organization_id, s.org);
    let baker_scope = Scope::for_member(s.org, baker.user_id());
    assert!(
        access::permissions(db.pool(), &baker_scope)
            .await
            .unwrap()
            .has::<EditRecipes>()
    );
    password_sign_in(
        &db,
        &passwords,
        "new.baker@example.com",
        "flour and water",
        Utc::now(),
    )
    .await
    .unwrap();

    let twice = access::accept_invitation(
        db.pool(),
        &passwords,
        token.expose(),
        Acceptance::new("Someone Else", "another password"),
        None,
    )
    .await;
    assert!(matches!(twice, Err(Error::NotFound { .. })), "{twice:?}");
    let unknown = access::accept_invitation(
        db.pool(),
        &passwords,
        "no such token",
        Acceptance::default(),
        None,
    )
    .await;
    assert!(
        matches!(unknown, Err(Error::NotFound { .. })),
        "{unknown:?}"
    );
    assert_eq!(events(&db, &s, EventKind::InvitationAccepted).await, 1);
    assert_eq!(events(&db, &s, EventKind::InvitationCreated).await, 1);
}

#[tokio::test]
async fn expired_revoked_and_foreign_invitations_are_refused() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let theirs = shop(&db, "candleco", "free").await;
    let passwords = passwords();
    let their_role = access::create_role(db.pool(), &theirs.as_owner(), "chandler")
        .await
        .unwrap();
    let foreign_role = access::invite(
        db.pool(),
        &s.as_owner(),
        "x@example.com",
        Some(their_role.id),
        Duration::days(1),
    )
    .await;
    assert!(
        matches!(&foreign_role, Err(Error::Invalid { field, .. }) if field == "role_id"),
        "{foreign_role:?}"
    );
    let by_member = access::invite(
        db.pool(),
        &s.as_member(),
        "x@example.com",
        None,
        Duration::days(1),
    )
    .await;
    assert!(matches!(by_member, Err(Error::Forbidden)), "{by_member:?}");

    let (_, expiring) = access::invite(
        db.pool(),
        &s.as_owner(),
        "late@example.com",
        None,
        Duration::milliseconds(1),
    )
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let late = access::accept_invitation(
        db.pool(),
        &passwords,
        expiring.expose(),
        Acceptance::new("Late", "a password"),
        None,
    )
    .await;
    assert!(matches!(late, Err(Error::NotFound { .. })), "{late:?}");

    let (pending, revoked) = access::invite(
        db.pool(),
        &s.as_owner(),
        "gone@example.com",
        None,
        Duration::days(1),
    )
    .await
    .unwrap();
    access::revoke_invitation(db.pool(), &s.as_owner(), pending.id)
        .await
        .unwrap();
    let used = access::accept_invitation(
        db.pool(),
        &passwords,
        revoked.expose(),
        Acceptance::new("Gone", "a password"),
        None,
    )
    .await;
    assert!(matches!(used, Err(Error::NotFound { .. })), "{used:?}");
    let users: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM users WHERE email IN ('late@example.com', 'gone@example.com')",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(users, 0, "nothing is written for a refused token");
}

#[tokio::test]
async fn an_existing_user_accepting_keeps_their_password() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let theirs = shop(&db, "candleco", "free").await;
    let passwords = passwords();
    with_password(&db, &passwords, principal(&theirs.member)).await;
    let (_, token) = access::invite(
        db.pool(),
        &s.as_owner(),
        "member@candleco",
        None,
        Duration::days(1),
    )
    .await
    .unwrap();
    let acceptance = Acceptance::new("Renamed", "a password chosen by whoever holds the token");
    // Holding the token is not enough to join an account that exists.
    for signed_in in [None, Some(principal(&s.member))] {
        let hijack = access::accept_invitation(
            db.pool(),
            &passwords,
            token.expose(),
            acceptance.clone(),
            signed_in,
        )
        .await;
        assert!(matches!(hijack, Err(Error::Forbidden)), "{hijack:?}");
    }
    let accepted = access::accept_invitation(
        db.pool(),
        &passwords,
        token.expose(),
        acceptance,
        Some(principal(&theirs.member)),
    )
    .await
    .unwrap();
    assert!(!accepted.created);
    assert_eq!(accepted.user_id, theirs.member.id);
    let kept = access::user(db.pool(), &system(), theirs.member.id)
        .await
        .unwrap();
    assert_eq!(
        kept.name, "member@candleco",
        "an existing user keeps their name"
    );
    password_sign_in(&db, &passwords, "member@candleco", PASSWORD, Utc::now())
        .await
        .unwrap();
    let members = access::members(db.pool(), &s.as_owner()).await.unwrap();
    assert_eq!(members.len(), 3);
}

#[tokio::test]
async fn concurrent_acceptances_of_one_invitation_make_one_membership() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let passwords = passwords();
    let (_, token) = access::invite(
        db.pool(),
        &s.as_owner(),
        "racer@example.com",
        None,
        Duration::days(1),
    )
    .await
    .unwrap();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (pool, passwords, token) = (
            db.pool().clone(),
            passwords.clone(),
            token.expose().to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            access::accept_invitation(
                &pool,
                &passwords,
                &token,
                Acceptance::new(format!("Racer {i}"), "a password"),
                None,
            )
            .await
        }));
    }
    let mut accepted = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => accepted += 1,
            Err(Error::NotFound { .. }) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(accepted, 1);
    let memberships: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'racer@example.com'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(memberships, 1);
}

#[tokio::test]
async fn an_invitation_gives_no_system_role_and_only_developers_switch_organizations() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let admin = access::create_system_role(db.pool(), &system(), "admin")
        .await
        .unwrap();
    let invited = access::invite(
        db.pool(),
        &s.as_owner(),
        "climber@example.com",
        Some(admin.id),
        Duration::days(1),
    )
    .await;
    assert!(matches!(invited, Err(Error::Forbidden)), "{invited:?}");

    let credential = Credential::User(principal(&s.member));
    let context = access::request_context(db.pool(), &credential, None, Utc::now())
        .await
        .unwrap()
        .unwrap();
    let switched = access::select_org(db.pool(), &context, s.org, Utc::now()).await;
    assert!(matches!(switched, Err(Error::Forbidden)), "{switched:?}");
    assert_eq!(events(&db, &s, EventKind::DeveloperOrgSwitch).await, 0);
}

#[tokio::test]
async fn a_deactivated_member_is_not_let_back_in_by_an_old_invitation() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let passwords = passwords();
    let (_, token) = access::invite(
        db.pool(),
        &s.as_owner(),
        "member@soapworks",
        None,
        Duration::days(1),
    )
    .await
    .unwrap();
    access::deactivate_member(db.pool(), &s.as_owner(), s.member_ship.id)
        .await
        .unwrap();
    let back = access::accept_invitation(
        db.pool(),
        &passwords,
        token.expose(),
        Acceptance::default(),
        Some(principal(&s.member)),
    )
    .await;
    assert!(matches!(back, Err(Error::Forbidden)), "{back:?}");
    let member = access::member(db.pool(), &s.as_owner(), s.member.id)
        .await
        .unwrap();
    assert!(!member.is_active);
}
