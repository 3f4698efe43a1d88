//! Signing up: the owner, the organization and a session in one
//! transaction, so that a refusal halfway leaves nothing; and grants by
//! key, for permissions named by a client.

use chrono::Utc;
use tenancy_access::{self as access, AuditQuery, EventKind, SignUp};
use tenancy_core::{Error, Scope};

use super::super::db;
use super::*;
use crate::fixtures::{shop, system};

async fn user_count(pool: &Pool<Db>) -> usize {
    access::users(pool, &system()).await.unwrap().len()
}

#[tokio::test]
async fn a_sign_up_makes_the_owner_the_organization_and_a_session() {
    let Some(db) = db().await else { return };
    let passwords = passwords();
    let now = Utc::now();
    let made = access::sign_up(
        &db,
        &system(),
        &passwords,
        SignUp::new("Cedar Balms", "Cy", "Cy@Cedar.example", PASSWORD, "free"),
        Duration::hours(1),
        now,
    )
    .await
    .unwrap();
    assert_eq!(made.user.email, "cy@cedar.example");
    assert!(live(&db, made.token.expose()).await, "the session works");
    let owner = Scope::for_member(made.organization, made.user.user_id());
    let org = access::organization(db.pool(), &owner).await.unwrap();
    assert_eq!(org.name, "Cedar Balms");
    assert_eq!(org.owner, Some(made.user.user_id()));
    assert_eq!(org.tier, "free");
    let members = access::members(db.pool(), &owner).await.unwrap();
    assert_eq!(members.len(), 1);
    assert!(members[0].is_owner);
    let signed_in = password_sign_in(&db, &passwords, "cy@cedar.example", PASSWORD, now).await;
    assert!(signed_in.is_ok(), "the password works: {signed_in:?}");
    let log = access::audit_log(db.pool(), &owner, &AuditQuery::new().limit(500))
        .await
        .unwrap();
    for kind in [
        EventKind::OrganizationCreated,
        EventKind::MemberAdded,
        EventKind::LoginSucceeded,
    ] {
        assert!(
            log.events.iter().any(|event| event.event == kind.as_str()),
            "{kind:?} is audited: {:?}",
            log.events
        );
    }
}

#[tokio::test]
async fn a_refused_sign_up_writes_nothing() {
    let Some(db) = db().await else { return };
    let passwords = passwords();
    let s = shop(&db, "soapworks", "free").await;
    let before = user_count(&db).await;
    let attempt = |email, password, tier| SignUp::new("Cedar Balms", "Cy", email, password, tier);
    let cases = [
        // The email is the owner's of soapworks.
        (attempt("owner@soapworks", PASSWORD, "free"), "conflict"),
        // The tier does not exist: the user made first is rolled back.
        (
            attempt("cy@cedar.example", PASSWORD, "platinum"),
            "conflict",
        ),
        (attempt("cy@cedar.example", "short", "free"), "password"),
        (attempt("not an email", PASSWORD, "free"), "email"),
        (
            SignUp::new(" ", "Cy", "cy@cedar.example", PASSWORD, "free"),
            "organization",
        ),
    ];
    for (sign_up, expected) in cases {
        let refused = access::sign_up(
            &db,
            &system(),
            &passwords,
            sign_up,
            Duration::hours(1),
            Utc::now(),
        )
        .await;
        match (&refused, expected) {
            (Err(Error::Conflict { .. }), "conflict") => {}
            (Err(Error::Invalid { field, .. }), field_expected) if *field == field_expected => {}
            _ => panic!("{sign_up:?}: expected {expected}, got {refused:?}"),
        }
    }
    assert_eq!(user_count(&db).await, before, "no user was left behind");
    let soapworks = access::organization(db.pool(), &s.as_owner())
        .await
        .unwrap();
    assert_eq!(
        soapworks.name, "soapworks",
        "the other organization is untouched"
    );
}

#[tokio::test]
async fn a_grant_by_key_is_a_typed_grant_and_unknown_keys_are_refused() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let owner = s.as_owner();
    let role = access::create_role(db.pool(), &owner, "packer")
        .await
        .unwrap();
    access::grant_key(db.pool(), &owner, role.id, "recipes.view")
        .await
        .unwrap();
    let keys = access::role_permissions(db.pool(), &owner, role.id)
        .await
        .unwrap();
    assert_eq!(keys, ["recipes.view"]);
    let unknown = access::grant_key(db.pool(), &owner, role.id, "moon.land").await;
    assert!(
        matches!(&unknown, Err(Error::Invalid { field, .. }) if field == "permission"),
        "{unknown:?}"
    );
    let malformed = access::remove_permission_key(db.pool(), &owner, role.id, "not a key").await;
    assert!(
        matches!(&malformed, Err(Error::Invalid { field, .. }) if field == "permission"),
        "{malformed:?}"
    );
    access::remove_permission_key(db.pool(), &owner, role.id, "recipes.view")
        .await
        .unwrap();
    assert!(
        access::role_permissions(db.pool(), &owner, role.id)
            .await
            .unwrap()
            .is_empty()
    );
    let member = access::grant_key(db.pool(), &s.as_member(), role.id, "recipes.view").await;
    assert!(matches!(member, Err(Error::Forbidden)), "{member:?}");
}
