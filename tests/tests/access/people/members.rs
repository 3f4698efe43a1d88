//! Members without emails, users for a system scope, the organization's
//! settings and activation, roles' permissions, managers' bounds,
//! deactivation and activity.

use chrono::{Duration, Utc};
use tenancy_access::billing::BillingPolicy;
use tenancy_access::{
    self as access, Credential, EventKind, NewUser, OrganizationChanges, Refusal, SignInError,
};
use tenancy_core::{Error, Id};

use super::super::db;
use super::*;
use crate::fixtures::{EditRecipes, ViewRecipes, principal, shop, system};

#[tokio::test]
async fn an_organization_sees_its_own_members_without_emails() {
    let Some(db) = db().await else { return };
    let mine = shop(&db, "soapworks", "free").await;
    let theirs = shop(&db, "candleco", "free").await;
    let members = access::members(db.pool(), &mine.as_member()).await.unwrap();
    let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["owner@soapworks", "member@soapworks"]);
    assert!(members[0].is_owner && !members[1].is_owner);
    assert!(members.iter().all(|m| m.is_active));
    let json = serde_json::to_string(&members).unwrap();
    assert!(!json.contains("email"), "{json}");

    let stranger = access::member(db.pool(), &mine.as_owner(), theirs.member.id).await;
    assert!(
        matches!(stranger, Err(Error::NotFound { .. })),
        "{stranger:?}"
    );
    let own = access::member(db.pool(), &mine.as_owner(), mine.member.id)
        .await
        .unwrap();
    assert_eq!(own.membership_id, mine.member_ship.id);

    let everyone = access::users(db.pool(), &system()).await.unwrap();
    assert_eq!(
        everyone.len(),
        4,
        "a system scope sees every user, emails included"
    );
    assert!(everyone.iter().any(|u| u.email == "member@candleco"));
}

#[tokio::test]
async fn users_are_created_with_a_normalized_unique_email() {
    let Some(db) = db().await else { return };
    let new = |email: &str| NewUser {
        email: email.into(),
        name: "Ada".into(),
        is_developer: false,
    };
    let ada = access::create_user(db.pool(), &system(), new("  Ada@Example.COM "))
        .await
        .unwrap();
    assert_eq!(ada.email, "ada@example.com");
    assert_eq!(ada.timezone, "UTC");
    let again = access::create_user(db.pool(), &system(), new("ada@example.com")).await;
    assert!(matches!(again, Err(Error::Conflict { .. })), "{again:?}");
    let bad = access::create_user(db.pool(), &system(), new("not an email")).await;
    assert!(matches!(bad, Err(Error::Invalid { field, .. }) if field == "email"));
    let found = access::user_by_email(db.pool(), &system(), "ADA@example.com")
        .await
        .unwrap();
    assert_eq!(found.id, ada.id);
}

#[tokio::test]
async fn the_organization_is_read_by_members_and_changed_by_its_managers() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let org = access::organization(db.pool(), &s.as_member())
        .await
        .unwrap();
    assert_eq!(
        (org.name.as_str(), org.timezone.as_str()),
        ("soapworks", "UTC")
    );
    assert_eq!(org.owner, Some(principal(&s.owner)));

    let by_member = access::update_organization(
        db.pool(),
        &s.as_member(),
        OrganizationChanges::new().name("Mine now"),
    )
    .await;
    assert!(matches!(by_member, Err(Error::Forbidden)), "{by_member:?}");
    let bad_zone = access::update_organization(
        db.pool(),
        &s.as_owner(),
        OrganizationChanges::new().timezone("Mars/Olympus_Mons"),
    )
    .await;
    assert!(
        matches!(&bad_zone, Err(Error::Invalid { field, .. }) if field == "timezone"),
        "{bad_zone:?}"
    );
    let changed = access::update_organization(
        db.pool(),
        &s.as_owner(),
        OrganizationChanges::new()
            .name("Soap Works")
            .timezone("Europe/Paris"),
    )
    .await
    .unwrap();
    assert_eq!(
        (changed.name.as_str(), changed.timezone.as_str()),
        ("Soap Works", "Europe/Paris")
    );
    assert_eq!(events(&db, &s, EventKind::OrganizationChanged).await, 1);
}

#[tokio::test]
async fn a_deactivated_organization_lets_only_developers_in() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let developer = access::create_user(
        db.pool(),
        &system(),
        NewUser {
            email: "dev@app.example".into(),
            name: "Dev".into(),
            is_developer: true,
        },
    )
    .await
    .unwrap();
    access::set_organization_active(db.pool(), &system(), s.org, false)
        .await
        .unwrap();
    let policy = BillingPolicy::default();
    for user in [principal(&s.owner), principal(&s.member)] {
        let refused = access::sign_in(
            db.pool(),
            user,
            Some(s.org),
            &policy,
            Duration::hours(1),
            Utc::now(),
        )
        .await;
        assert!(
            matches!(
                refused,
                Err(SignInError::Refused(Refusal::OrganizationInactive))
            ),
            "{refused:?}"
        );
    }
    access::sign_in(
        db.pool(),
        developer.user_id(),
        Some(s.org),
        &policy,
        Duration::hours(1),
        Utc::now(),
    )
    .await
    .unwrap();
    access::set_organization_active(db.pool(), &system(), s.org, true)
        .await
        .unwrap();
    access::sign_in(
        db.pool(),
        principal(&s.member),
        Some(s.org),
        &policy,
        Duration::hours(1),
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(events(&db, &s, EventKind::OrganizationActivation).await, 2);
}

#[tokio::test]
async fn a_roles_permissions_are_listed_removed_and_stop_with_the_role() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let theirs = shop(&db, "candleco", "free").await;
    let baker = access::create_role(db.pool(), &s.as_owner(), "baker")
        .await
        .unwrap();
    access::grant::<EditRecipes, _, _>(db.pool(), &s.as_owner(), baker.id)
        .await
        .unwrap();
    access::grant::<ViewRecipes, _, _>(db.pool(), &s.as_owner(), baker.id)
        .await
        .unwrap();
    access::assign_role(db.pool(), &s.as_owner(), s.member_ship.id, baker.id)
        .await
        .unwrap();
    assert_eq!(
        access::role_permissions(db.pool(), &s.as_member(), baker.id)
            .await
            .unwrap(),
        ["recipes.edit", "recipes.view"]
    );
    let foreign = access::role_permissions(db.pool(), &theirs.as_owner(), baker.id).await;
    assert!(
        matches!(foreign, Err(Error::NotFound { .. })),
        "{foreign:?}"
    );
    let by_other =
        access::remove_permission::<EditRecipes, _, _>(db.pool(), &theirs.as_owner(), baker.id)
            .await;
    assert!(
        matches!(by_other, Err(Error::NotFound { .. })),
        "{by_other:?}"
    );

    access::remove_permission::<EditRecipes, _, _>(db.pool(), &s.as_owner(), baker.id)
        .await
        .unwrap();
    let held = access::permissions(db.pool(), &s.as_member())
        .await
        .unwrap();
    assert!(!held.has::<EditRecipes>() && held.has::<ViewRecipes>());
    assert_eq!(events(&db, &s, EventKind::PermissionRemoved).await, 1);

    let off = access::update_role(db.pool(), &s.as_owner(), baker.id, "old baker", false)
        .await
        .unwrap();
    assert!(!off.is_active);
    assert!(
        access::permissions(db.pool(), &s.as_member())
            .await
            .unwrap()
            .keys()
            .next()
            .is_none()
    );
    let assign_off =
        access::assign_role(db.pool(), &s.as_owner(), s.member_ship.id, baker.id).await;
    assert!(
        matches!(assign_off, Err(Error::Invalid { .. })),
        "{assign_off:?}"
    );
}

#[tokio::test]
async fn deactivating_a_member_ends_their_sessions_there() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let token = access::issue_session(
        db.pool(),
        principal(&s.member),
        Some(s.org),
        Duration::hours(1),
        Utc::now(),
    )
    .await
    .unwrap();
    assert!(live(&db, token.expose()).await);
    access::deactivate_member(db.pool(), &s.as_owner(), s.member_ship.id)
        .await
        .unwrap();
    assert!(!live(&db, token.expose()).await);
    let again = access::deactivate_member(db.pool(), &s.as_owner(), s.member_ship.id).await;
    assert!(matches!(again, Err(Error::NotFound { .. })), "{again:?}");
    let owner = access::deactivate_member(db.pool(), &s.as_owner(), s.owner_ship.id).await;
    assert!(matches!(owner, Err(Error::Forbidden)), "{owner:?}");
    let restored = access::restore_member(db.pool(), &s.as_owner(), s.member_ship.id)
        .await
        .unwrap();
    assert!(restored.is_active);
    let _: Id<tenancy_access::Membership> = restored.id;
}

#[tokio::test]
async fn a_cached_session_records_its_users_activity_once_a_minute() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let token = access::issue_session(
        db.pool(),
        principal(&s.member),
        None,
        Duration::hours(1),
        Utc::now(),
    )
    .await
    .unwrap();
    let credential = Credential::Token(token.expose().to_owned());
    let cache = access::ContextCache::default();
    let active = || async {
        access::user(db.pool(), &system(), s.member.id)
            .await
            .unwrap()
            .last_active_at
    };
    assert_eq!(active().await, None);
    let first = Utc::now();
    cache
        .request_context(db.pool(), &credential, None, first)
        .await
        .unwrap()
        .unwrap();
    let seen = active().await.expect("recorded on the first request");
    cache
        .request_context(db.pool(), &credential, None, first + Duration::seconds(30))
        .await
        .unwrap();
    assert_eq!(active().await, Some(seen), "not again within the minute");
    let later = first + Duration::seconds(61);
    cache
        .request_context(db.pool(), &credential, None, later)
        .await
        .unwrap();
    let again = active().await.unwrap();
    assert!(again > seen, "{again} after {seen}");
}

#[tokio::test]
async fn a_member_added_back_does_not_get_their_old_roles_back_later() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let admin = access::create_role(db.pool(), &s.as_owner(), "admin")
        .await
        .unwrap();
    access::grant::<EditRecipes, _, _>(db.pool(), &s.as_owner(), admin.id)
        .await
        .unwrap();
    access::assign_role(db.pool(), &s.as_owner(), s.member_ship.id, admin.id)
        .await
        .unwrap();
    access::deactivate_member(db.pool(), &s.as_owner(), s.member_ship.id)
        .await
        .unwrap();
    // Back without roles, then out and restored: still no old role.
    access::add_member(db.pool(), &system(), s.org, principal(&s.member))
        .await
        .unwrap();
    access::deactivate_member(db.pool(), &s.as_owner(), s.member_ship.id)
        .await
        .unwrap();
    access::restore_member(db.pool(), &s.as_owner(), s.member_ship.id)
        .await
        .unwrap();
    let held = access::permissions(db.pool(), &s.as_member())
        .await
        .unwrap();
    assert!(!held.has::<EditRecipes>());
}

#[tokio::test]
async fn a_manager_hands_out_only_what_they_hold() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let owner = s.as_owner();
    let manager = access::create_role(db.pool(), &owner, "manager")
        .await
        .unwrap();
    access::grant::<crate::fixtures::ManageMembers, _, _>(db.pool(), &owner, manager.id)
        .await
        .unwrap();
    access::grant::<ViewRecipes, _, _>(db.pool(), &owner, manager.id)
        .await
        .unwrap();
    access::assign_role(db.pool(), &owner, s.member_ship.id, manager.id)
        .await
        .unwrap();
    let editor = access::create_role(db.pool(), &owner, "editor")
        .await
        .unwrap();
    access::grant::<EditRecipes, _, _>(db.pool(), &owner, editor.id)
        .await
        .unwrap();

    let as_manager = s.as_member();
    let viewer = access::create_role(db.pool(), &as_manager, "viewer")
        .await
        .unwrap();
    access::grant::<ViewRecipes, _, _>(db.pool(), &as_manager, viewer.id)
        .await
        .unwrap();
    let more = access::grant::<EditRecipes, _, _>(db.pool(), &as_manager, viewer.id).await;
    assert!(matches!(more, Err(Error::Forbidden)), "{more:?}");
    let to_self = access::assign_role(db.pool(), &as_manager, s.member_ship.id, editor.id).await;
    assert!(matches!(to_self, Err(Error::Forbidden)), "{to_self:?}");
    let invited = access::invite(
        db.pool(),
        &as_manager,
        "friend@example.com",
        Some(editor.id),
        Duration::days(1),
    )
    .await;
    assert!(matches!(invited, Err(Error::Forbidden)), "{invited:?}");
    assert!(
        !access::permissions(db.pool(), &as_manager)
            .await
            .unwrap()
            .has::<EditRecipes>()
    );

    let system_role = access::create_system_role(db.pool(), &system(), "auditor")
        .await
        .unwrap();
    let given =
        access::assign_system_role(db.pool(), &system(), s.org, s.owner_ship.id, system_role.id)
            .await
            .unwrap();
    let taken = access::revoke_role(db.pool(), &owner, given.id).await;
    assert!(
        matches!(taken, Err(Error::Forbidden)),
        "a system role is the app's: {taken:?}"
    );
}

#[tokio::test]
async fn a_manager_restores_only_members_whose_roles_they_hold() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let owner = s.as_owner();
    let other = crate::fixtures::user(&db, "other@soapworks").await;
    let other_ship = access::add_member(db.pool(), &system(), s.org, other.user_id())
        .await
        .unwrap();
    let editor = access::create_role(db.pool(), &owner, "editor")
        .await
        .unwrap();
    access::grant::<EditRecipes, _, _>(db.pool(), &owner, editor.id)
        .await
        .unwrap();
    access::assign_role(db.pool(), &owner, other_ship.id, editor.id)
        .await
        .unwrap();
    access::deactivate_member(db.pool(), &owner, other_ship.id)
        .await
        .unwrap();
    let manager = access::create_role(db.pool(), &owner, "manager")
        .await
        .unwrap();
    access::grant::<crate::fixtures::ManageMembers, _, _>(db.pool(), &owner, manager.id)
        .await
        .unwrap();
    access::assign_role(db.pool(), &owner, s.member_ship.id, manager.id)
        .await
        .unwrap();
    let restored = access::restore_member(db.pool(), &s.as_member(), other_ship.id).await;
    assert!(matches!(restored, Err(Error::Forbidden)), "{restored:?}");
    access::restore_member(db.pool(), &owner, other_ship.id)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_developer_signs_in_before_choosing_an_organization() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let developer = access::create_user(
        db.pool(),
        &system(),
        NewUser {
            email: "dev@app.example".into(),
            name: "Dev".into(),
            is_developer: true,
        },
    )
    .await
    .unwrap();
    let policy = BillingPolicy::default();
    let token = access::sign_in(
        db.pool(),
        developer.user_id(),
        None,
        &policy,
        Duration::hours(1),
        Utc::now(),
    )
    .await
    .unwrap();
    // The session acts nowhere until the developer chooses.
    let credential = Credential::Token(token.expose().to_owned());
    let context = access::request_context(db.pool(), &credential, None, Utc::now())
        .await
        .unwrap()
        .expect("a live session");
    assert_eq!(context.org, None);
    assert_eq!(
        access::admit(&context, &policy, Utc::now()).err(),
        Some(Refusal::NoOrganization)
    );
    access::select_org(db.pool(), &context, s.org, Utc::now())
        .await
        .unwrap();
    let context = access::request_context(db.pool(), &credential, None, Utc::now())
        .await
        .unwrap()
        .expect("a live session");
    assert_eq!(context.org, Some(s.org));
    // A member of no organization has nothing to sign in to.
    let loner = access::create_user(
        db.pool(),
        &system(),
        NewUser {
            email: "loner@app.example".into(),
            name: "Loner".into(),
            is_developer: false,
        },
    )
    .await
    .unwrap();
    let refused = access::sign_in(
        db.pool(),
        loner.user_id(),
        None,
        &policy,
        Duration::hours(1),
        Utc::now(),
    )
    .await;
    assert!(
        matches!(refused, Err(SignInError::Refused(Refusal::NoOrganization))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_member_of_two_organizations_chooses_among_theirs_only() {
    let Some(db) = db().await else { return };
    let first = shop(&db, "soapworks", "free").await;
    let second = shop(&db, "candleco", "free").await;
    let third = shop(&db, "waxworks", "free").await;
    let membership = access::add_member(db.pool(), &system(), second.org, first.member.user_id())
        .await
        .unwrap();
    let policy = BillingPolicy::default();
    let token = access::sign_in(
        db.pool(),
        principal(&first.member),
        None,
        &policy,
        Duration::hours(1),
        Utc::now(),
    )
    .await
    .unwrap();
    let credential = Credential::Token(token.expose().to_owned());
    let context = || async {
        access::request_context(db.pool(), &credential, None, Utc::now())
            .await
            .unwrap()
            .expect("a live session")
    };
    let at_first = context().await;
    assert_eq!(at_first.org, Some(first.org.min(second.org)));
    let other = if at_first.org == Some(first.org) {
        second.org
    } else {
        first.org
    };
    access::select_org(db.pool(), &at_first, other, Utc::now())
        .await
        .unwrap();
    assert_eq!(context().await.org, Some(other));
    // Nowhere they do not belong, whatever the context says of them.
    let refused = access::select_org(db.pool(), &at_first, third.org, Utc::now()).await;
    assert!(matches!(refused, Err(Error::Forbidden)), "{refused:?}");
    let mut forged = context().await;
    forged.memberships.push(third.org);
    let refused = access::select_org(db.pool(), &forged, third.org, Utc::now()).await;
    assert!(matches!(refused, Err(Error::Forbidden)), "{refused:?}");
    assert_eq!(context().await.org, Some(other));
    // A membership that ends ends the choice (or the session with it).
    if other == second.org {
        access::deactivate_member(db.pool(), &second.as_owner(), membership.id)
            .await
            .unwrap();
        let after = access::request_context(db.pool(), &credential, None, Utc::now())
            .await
            .unwrap();
        assert!(after.is_none_or(|context| context.org != Some(second.org)));
    }
}
