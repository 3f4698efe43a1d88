//! Users seen through organizations, password sign-in, invitations, the
//! organization's own settings, roles' permissions and sessions ended
//! together. Compiled once per backend: `Db` and `db()` come from the
//! parent module.

use chrono::{Duration, Utc};
use sqlx::Pool;
use tenancy_access::billing::BillingPolicy;
use tenancy_access::{
    self as access, Acceptance, AuditQuery, Credential, EventKind, Invitation, NewUser,
    OrganizationChanges, PasswordAttempt, Passwords, Refusal, SignInError,
};
use tenancy_core::{Error, Id, Scope, Scoped, UserId};

use super::{Db, db};
use crate::fixtures::{EditRecipes, Shop, ViewRecipes, principal, shop, system};

const PASSWORD: &str = "lavender and lye";

/// Cheap costs: the suite tests the rules, not argon2's strength.
fn passwords() -> Passwords {
    Passwords::new().with_costs(64, 1, 1).unwrap()
}

async fn with_password(pool: &Pool<Db>, passwords: &Passwords, user: UserId) {
    access::set_password(pool, &system(), passwords, user, PASSWORD)
        .await
        .unwrap();
}

async fn password_sign_in(
    pool: &Pool<Db>,
    passwords: &Passwords,
    email: &str,
    password: &str,
    now: chrono::DateTime<Utc>,
) -> Result<access::SessionToken, SignInError> {
    from(pool, passwords, email, password, "192.0.2.1", now).await
}

/// A sign-in from `source`.
async fn from(
    pool: &Pool<Db>,
    passwords: &Passwords,
    email: &str,
    password: &str,
    source: &str,
    now: chrono::DateTime<Utc>,
) -> Result<access::SessionToken, SignInError> {
    let policy = BillingPolicy::default();
    let attempt = PasswordAttempt::new(email, password, source);
    access::sign_in_with_password(
        pool,
        passwords,
        attempt,
        None,
        &policy,
        Duration::hours(1),
        now,
    )
    .await
}

async fn events(pool: &Pool<Db>, s: &Shop, kind: EventKind) -> usize {
    let query = AuditQuery::new().event(kind.as_str()).limit(500);
    access::audit_log(pool, &Scope::for_job(s.org, "people suite"), &query)
        .await
        .unwrap()
        .events
        .len()
}

async fn live(pool: &Pool<Db>, token: &str) -> bool {
    let credential = Credential::Token(token.to_owned());
    access::request_context(pool, &credential, None, Utc::now())
        .await
        .unwrap()
        .is_some()
}

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
async fn a_password_signs_in_and_every_failure_looks_the_same() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let passwords = passwords();
    with_password(&db, &passwords, principal(&s.member)).await;
    let now = Utc::now();

    let token = password_sign_in(&db, &passwords, "MEMBER@soapworks", PASSWORD, now)
        .await
        .unwrap();
    assert!(live(&db, token.expose()).await);
    let member = access::user(db.pool(), &system(), s.member.id)
        .await
        .unwrap();
    assert!(member.last_login_at.is_some());

    for (email, password) in [
        ("member@soapworks", "not the password"),
        ("nobody@soapworks", PASSWORD),
        ("owner@soapworks", PASSWORD), // a user without a password
        ("not an email", PASSWORD),
    ] {
        let refused = password_sign_in(&db, &passwords, email, password, now).await;
        assert!(
            matches!(refused, Err(SignInError::InvalidCredentials)),
            "{email}: {refused:?}"
        );
    }
    let failures = AuditQuery::new().event("login.failed");
    let system_wide = access::audit_log(db.pool(), &Scope::for_job(s.org, "suite"), &failures)
        .await
        .unwrap();
    assert!(
        system_wide.events.is_empty(),
        "failures name no organization"
    );
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM user_event_log WHERE event = 'login.failed'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(count, 4, "every failure is audited");
}

#[tokio::test]
async fn repeated_failures_slow_an_account_down_but_never_lock_it() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let passwords = passwords();
    with_password(&db, &passwords, principal(&s.member)).await;
    let start = Utc::now();
    for _ in 0..access::FREE_ATTEMPTS {
        let wrong =
            password_sign_in(&db, &passwords, "member@soapworks", "guess guess", start).await;
        assert!(matches!(wrong, Err(SignInError::InvalidCredentials)));
    }
    // Within the delay even the right password is refused, and not counted.
    for _ in 0..3 {
        let early = password_sign_in(&db, &passwords, "member@soapworks", PASSWORD, start).await;
        assert!(
            matches!(early, Err(SignInError::InvalidCredentials)),
            "{early:?}"
        );
    }
    let later = start + access::delay_after(access::FREE_ATTEMPTS) + Duration::milliseconds(1);
    password_sign_in(&db, &passwords, "member@soapworks", PASSWORD, later)
        .await
        .unwrap();
    // Success clears the count: the next failure costs no delay.
    let wrong = password_sign_in(&db, &passwords, "member@soapworks", "guess", later).await;
    assert!(matches!(wrong, Err(SignInError::InvalidCredentials)));
    password_sign_in(&db, &passwords, "member@soapworks", PASSWORD, later)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_outdated_hash_is_replaced_on_sign_in() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    with_password(&db, &passwords(), principal(&s.member)).await;
    let stronger = Passwords::new().with_costs(128, 2, 1).unwrap();
    password_sign_in(&db, &stronger, "member@soapworks", PASSWORD, Utc::now())
        .await
        .unwrap();
    let hash: String =
        sqlx::query_scalar("SELECT hash FROM password_credentials WHERE user_id = $1")
            .bind(s.member.id)
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert!(hash.contains("m=128,t=2,p=1"), "{hash}");
    password_sign_in(&db, &stronger, "member@soapworks", PASSWORD, Utc::now())
        .await
        .unwrap();
}

#[tokio::test]
async fn changing_a_password_ends_the_other_sessions() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let passwords = passwords();
    with_password(&db, &passwords, principal(&s.member)).await;
    let now = Utc::now();
    let here = password_sign_in(&db, &passwords, "member@soapworks", PASSWORD, now)
        .await
        .unwrap();
    let elsewhere = password_sign_in(&db, &passwords, "member@soapworks", PASSWORD, now)
        .await
        .unwrap();
    let member = principal(&s.member);
    let wrong = access::change_password(
        db.pool(),
        &passwords,
        member,
        "not it",
        "a new secret",
        None,
    )
    .await;
    assert!(
        matches!(wrong, Err(SignInError::InvalidCredentials)),
        "{wrong:?}"
    );
    let short =
        access::change_password(db.pool(), &passwords, member, PASSWORD, "short", None).await;
    assert!(
        matches!(short, Err(SignInError::Failed(Error::Invalid { .. }))),
        "{short:?}"
    );
    assert!(
        live(&db, elsewhere.expose()).await,
        "a refused change ends nothing"
    );

    let ended = access::change_password(
        db.pool(),
        &passwords,
        member,
        PASSWORD,
        "a new secret",
        Some(here.expose()),
    )
    .await
    .unwrap();
    assert_eq!(ended, 1);
    assert!(live(&db, here.expose()).await);
    assert!(!live(&db, elsewhere.expose()).await);
    let old = password_sign_in(&db, &passwords, "member@soapworks", PASSWORD, now).await;
    assert!(matches!(old, Err(SignInError::InvalidCredentials)));
    password_sign_in(&db, &passwords, "member@soapworks", "a new secret", now)
        .await
        .unwrap();

    assert_eq!(
        access::revoke_sessions(db.pool(), &system(), member)
            .await
            .unwrap(),
        2
    );
    assert!(!live(&db, here.expose()).await);
}

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
async fn concurrent_guesses_cannot_skip_the_delay_and_other_sources_are_not_slowed() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let passwords = passwords();
    with_password(&db, &passwords, principal(&s.member)).await;
    let now = Utc::now();
    for _ in 0..access::FREE_ATTEMPTS {
        let wrong = from(
            &db,
            &passwords,
            "member@soapworks",
            "guess",
            "attacker",
            now,
        )
        .await;
        assert!(matches!(wrong, Err(SignInError::InvalidCredentials)));
    }
    // Forty guesses at once, the right password among them: none is
    // verified while the source waits, so none signs in.
    let mut guesses = Vec::new();
    for i in 0..40 {
        let (pool, passwords) = (db.pool().clone(), passwords.clone());
        guesses.push(tokio::spawn(async move {
            let password = if i == 39 { PASSWORD } else { "guess" };
            let attempt = PasswordAttempt::new("member@soapworks", password, "attacker");
            let policy = BillingPolicy::default();
            access::sign_in_with_password(
                &pool,
                &passwords,
                attempt,
                None,
                &policy,
                Duration::hours(1),
                now,
            )
            .await
        }));
    }
    for guess in guesses {
        let answer = guess.await.unwrap();
        assert!(
            matches!(answer, Err(SignInError::InvalidCredentials)),
            "{answer:?}"
        );
    }
    let attempts: i32 = sqlx::query_scalar(
        "SELECT failed_attempts FROM sign_in_attempts WHERE source = 'sign-in attacker' AND user_id = $1",
    )
    .bind(s.member.id)
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(
        attempts,
        access::FREE_ATTEMPTS,
        "waiting attempts are not even counted"
    );
    // The owner of the account, elsewhere, signs in at once.
    from(&db, &passwords, "member@soapworks", PASSWORD, "home", now)
        .await
        .unwrap();
    // Once the delay has passed, one concurrent burst verifies one guess.
    let later = now + access::delay_after(access::FREE_ATTEMPTS) + Duration::milliseconds(1);
    let mut burst = Vec::new();
    for _ in 0..10 {
        let (pool, passwords) = (db.pool().clone(), passwords.clone());
        burst.push(tokio::spawn(async move {
            let attempt = PasswordAttempt::new("member@soapworks", "guess", "attacker");
            let policy = BillingPolicy::default();
            let _ = access::sign_in_with_password(
                &pool,
                &passwords,
                attempt,
                None,
                &policy,
                Duration::hours(1),
                later,
            )
            .await;
        }));
    }
    for task in burst {
        task.await.unwrap();
    }
    let attempts: i32 = sqlx::query_scalar(
        "SELECT failed_attempts FROM sign_in_attempts WHERE source = 'sign-in attacker' AND user_id = $1",
    )
    .bind(s.member.id)
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(attempts, access::FREE_ATTEMPTS + 1, "one guess per delay");
}

#[tokio::test]
async fn unknown_emails_wait_like_accounts_do() {
    let Some(db) = db().await else { return };
    let passwords = passwords();
    let now = Utc::now();
    for n in 0..access::FREE_ATTEMPTS + 2 {
        let email = format!("nobody{n}@nowhere.example");
        let refused = from(&db, &passwords, &email, "guess", "prober", now).await;
        assert!(
            matches!(refused, Err(SignInError::InvalidCredentials)),
            "{refused:?}"
        );
    }
    let counted: i32 = sqlx::query_scalar(
        "SELECT failed_attempts FROM sign_in_attempts WHERE source = 'sign-in prober' AND user_id = 0",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(
        counted,
        access::FREE_ATTEMPTS,
        "after five, the prober waits"
    );
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
async fn a_burst_of_guesses_verifies_only_the_free_attempts_and_a_double_submit_signs_in() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let passwords = passwords();
    with_password(&db, &passwords, principal(&s.member)).await;
    let now = Utc::now();
    let mut burst = Vec::new();
    for _ in 0..20 {
        let (pool, passwords) = (db.pool().clone(), passwords.clone());
        burst.push(tokio::spawn(async move {
            let attempt = PasswordAttempt::new("member@soapworks", "guess", "burst");
            let policy = BillingPolicy::default();
            access::sign_in_with_password(
                &pool,
                &passwords,
                attempt,
                None,
                &policy,
                Duration::hours(1),
                now,
            )
            .await
        }));
    }
    for task in burst {
        assert!(matches!(
            task.await.unwrap(),
            Err(SignInError::InvalidCredentials)
        ));
    }
    let verified: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM user_event_log WHERE event = 'login.failed' AND user_id = $1 \
         AND CAST(detail AS TEXT) LIKE '%wrong password%'",
    )
    .bind(s.member.id)
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(
        verified,
        i64::from(access::FREE_ATTEMPTS),
        "the rest waited unverified"
    );

    // Two sign-ins at once with the right password, from a fresh source.
    let twice: Vec<_> = (0..2)
        .map(|_| {
            let (pool, passwords) = (db.pool().clone(), passwords.clone());
            tokio::spawn(async move {
                let attempt = PasswordAttempt::new("member@soapworks", PASSWORD, "phone");
                let policy = BillingPolicy::default();
                access::sign_in_with_password(
                    &pool,
                    &passwords,
                    attempt,
                    None,
                    &policy,
                    Duration::hours(1),
                    now,
                )
                .await
            })
        })
        .collect();
    for task in twice {
        task.await.unwrap().unwrap();
    }
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

#[tokio::test]
async fn a_thief_with_one_session_cannot_stop_the_owner_changing_the_password() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let passwords = passwords();
    with_password(&db, &passwords, principal(&s.member)).await;
    let now = Utc::now();
    let stolen = password_sign_in(&db, &passwords, "member@soapworks", PASSWORD, now)
        .await
        .unwrap();
    let own = password_sign_in(&db, &passwords, "member@soapworks", PASSWORD, now)
        .await
        .unwrap();
    let member = principal(&s.member);
    for _ in 0..access::FREE_ATTEMPTS + 3 {
        let guess = access::change_password(
            db.pool(),
            &passwords,
            member,
            "guess",
            "the thief's",
            Some(stolen.expose()),
        )
        .await;
        assert!(
            matches!(guess, Err(SignInError::InvalidCredentials)),
            "{guess:?}"
        );
    }
    let ended = access::change_password(
        db.pool(),
        &passwords,
        member,
        PASSWORD,
        "the owner's new one",
        Some(own.expose()),
    )
    .await
    .unwrap();
    assert_eq!(ended, 1, "the stolen session ends");
    assert!(!live(&db, stolen.expose()).await);
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
