//! Password sign-in: equal failures, delays per account and source,
//! concurrent guesses, rehashing and password changes.

use chrono::{Duration, Utc};
use tenancy_access::{self as access, AuditQuery, SignInError};
use tenancy_core::{Error, Scope};

use super::super::db;
use super::*;
use crate::fixtures::{principal, shop, system};

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
        guesses.push(spawn_sign_in(
            &db,
            &passwords,
            if i == 39 { PASSWORD } else { "guess" },
            "attacker",
            now,
        ));
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
        burst.push(spawn_sign_in(&db, &passwords, "guess", "attacker", later));
    }
    for task in burst {
        let answer = task.await.unwrap();
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
async fn a_burst_of_guesses_verifies_only_the_free_attempts_and_a_double_submit_signs_in() {
    let Some(db) = db().await else { return };
    let s = shop(&db, "soapworks", "free").await;
    let passwords = passwords();
    with_password(&db, &passwords, principal(&s.member)).await;
    let now = Utc::now();
    let mut burst = Vec::new();
    for _ in 0..20 {
        burst.push(spawn_sign_in(&db, &passwords, "guess", "burst", now));
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
        .map(|_| spawn_sign_in(&db, &passwords, PASSWORD, "phone", now))
        .collect();
    for task in twice {
        task.await.unwrap().unwrap();
    }
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
