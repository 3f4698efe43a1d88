//! The organization's people over HTTP: signing up, a custom role,
//! inviting and accepting, deactivating and restoring, handing over
//! ownership, settings, and a developer entering an organization.

use reqwest::Method;
use serde_json::{Value, json};

use crate::served::Served;

async fn sign_up(app: &Served, body: Value) -> crate::served::Answer {
    app.call(None, Method::POST, "/api/v1/auth/signup", Some(body))
        .await
}

async fn a_new_organization_signs_up_invites_and_hands_over(app: &Served) {
    let made = sign_up(
        app,
        json!({"organization": "Cedar Balms", "name": "Cy", "email": "cy@cedar.example",
               "password": "cedar-balms-2026"}),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let owner = made.body["token"].as_str().expect("a token").to_owned();
    let me = app.get(&owner, "/api/v1/me").await;
    assert_eq!(me.body["is_owner"], true, "{}", me.body);
    assert_eq!(me.body["organization_id"], made.body["organization_id"]);
    assert_eq!(
        app.items(&owner, "/api/v1/recipes").await.len(),
        0,
        "a new organization is empty"
    );
    let taken = sign_up(
        app,
        json!({"organization": "Other", "name": "Cy", "email": "CY@cedar.example",
               "password": "cedar-balms-2026"}),
    )
    .await;
    assert_eq!(taken.status, 409, "{}", taken.body);
    let weak = sign_up(
        app,
        json!({"organization": "Other", "name": "Dee", "email": "dee@cedar.example", "password": "short"}),
    )
    .await;
    assert_eq!(weak.status, 422, "{}", weak.body);
    assert_eq!(weak.body["field"], "password");

    // A custom role, granted by key.
    let role = app
        .post(&owner, "/api/v1/roles", json!({"name": "Packer"}))
        .await;
    assert_eq!(role.status, 201, "{}", role.body);
    let role_id = role.body["id"].clone();
    for key in ["batches.run", "recipes.view"] {
        let granted = app
            .post(
                &owner,
                &format!("/api/v1/roles/{role_id}/permissions"),
                json!({"permission": key}),
            )
            .await;
        assert_eq!(granted.status, 204, "{key}: {}", granted.body);
    }
    let unknown = app
        .post(
            &owner,
            &format!("/api/v1/roles/{role_id}/permissions"),
            json!({"permission": "moon.land"}),
        )
        .await;
    assert_eq!(unknown.status, 422, "{}", unknown.body);
    let detail = app.get(&owner, &format!("/api/v1/roles/{role_id}")).await;
    assert_eq!(
        detail.body["permissions"],
        json!(["batches.run", "recipes.view"])
    );

    // An invitation: its token goes to the outbox, not to the inviter.
    let invited = app
        .post(
            &owner,
            "/api/v1/invitations",
            json!({"email": "pat@cedar.example", "role_id": role_id}),
        )
        .await;
    assert_eq!(invited.status, 201, "{}", invited.body);
    assert!(invited.body.get("token").is_none(), "{}", invited.body);
    let message = app.outbox.sent().pop().expect("a message");
    assert_eq!(message.to, "pat@cedar.example");
    let token = message
        .body
        .split_whitespace()
        .find(|word| word.len() >= 32 && word.chars().all(|c| c.is_ascii_hexdigit()))
        .expect("the token in the message")
        .to_owned();
    let joined = app
        .call(
            None,
            Method::POST,
            "/api/v1/auth/accept-invitation",
            Some(json!({"token": token, "name": "Pat", "password": "pat-packs-2026"})),
        )
        .await;
    assert_eq!(joined.status, 201, "{}", joined.body);
    let again = app
        .call(
            None,
            Method::POST,
            "/api/v1/auth/accept-invitation",
            Some(json!({"token": token, "name": "Pat", "password": "pat-packs-2026"})),
        )
        .await;
    assert_eq!(again.status, 404, "a used token: {}", again.body);
    let pat = app
        .login_with("pat@cedar.example", "pat-packs-2026", None)
        .await;
    let pat_me = app.get(&pat, "/api/v1/me").await;
    assert_eq!(
        pat_me.body["permissions"],
        json!(["batches.run", "recipes.view"])
    );
    assert_eq!(
        app.get(&pat, "/api/v1/lots").await.status,
        403,
        "no inventory.view"
    );
    assert_eq!(
        app.post(&pat, "/api/v1/roles", json!({"name": "Boss"}))
            .await
            .status,
        403,
        "a member without members.manage manages nothing"
    );

    // Deactivate, then restore with the role.
    let membership = joined.body["id"].clone();
    let off = app
        .call(
            Some(&owner),
            Method::POST,
            &format!("/api/v1/members/{membership}/deactivate"),
            None,
        )
        .await;
    assert_eq!(off.status, 204, "{}", off.body);
    assert!(
        matches!(app.get(&pat, "/api/v1/me").await.status.as_u16(), 401 | 403),
        "a deactivated member's session ends"
    );
    let back = app
        .call(
            Some(&owner),
            Method::POST,
            &format!("/api/v1/members/{membership}/restore"),
            None,
        )
        .await;
    assert_eq!(back.status, 200, "{}", back.body);
    let pat = app
        .login_with("pat@cedar.example", "pat-packs-2026", None)
        .await;
    assert_eq!(
        app.get(&pat, "/api/v1/me").await.body["permissions"],
        json!(["batches.run", "recipes.view"]),
        "the role came back"
    );

    // A revoked invitation cannot be accepted.
    let second = app
        .post(
            &owner,
            "/api/v1/invitations",
            json!({"email": "lee@cedar.example"}),
        )
        .await;
    let second_id = second.body["id"].clone();
    let revoked = app
        .call(
            Some(&owner),
            Method::POST,
            &format!("/api/v1/invitations/{second_id}/revoke"),
            None,
        )
        .await;
    assert_eq!(revoked.status, 204, "{}", revoked.body);
    let listed = app.get(&owner, "/api/v1/invitations").await;
    assert_eq!(
        listed.body.as_array().map(Vec::len),
        Some(2),
        "{}",
        listed.body
    );

    // Settings, then ownership to Pat.
    let renamed = app
        .call(
            Some(&owner),
            Method::PATCH,
            "/api/v1/organization",
            Some(json!({"name": "Cedar Balms Co", "timezone": "Europe/Paris"})),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.body["timezone"], "Europe/Paris");
    let bad_zone = app
        .call(
            Some(&owner),
            Method::PATCH,
            "/api/v1/organization",
            Some(json!({"timezone": "Mars/Base"})),
        )
        .await;
    assert_eq!(bad_zone.status, 422, "{}", bad_zone.body);
    let pat_id = pat_me.body["user_id"].clone();
    let handed = app
        .post(
            &owner,
            "/api/v1/organization/transfer",
            json!({"user_id": pat_id}),
        )
        .await;
    assert_eq!(handed.status, 204, "{}", handed.body);
    assert_eq!(app.get(&pat, "/api/v1/me").await.body["is_owner"], true);
    assert_eq!(app.get(&owner, "/api/v1/me").await.body["is_owner"], false);
}

async fn a_developer_enters_an_organization(app: &Served) {
    let birch = app.login("owner@birch.example").await;
    let birch_org = app.get(&birch, "/api/v1/me").await.body["organization_id"].clone();
    let acme = app.login("owner@acme.example").await;
    let acme_org = app.get(&acme, "/api/v1/me").await.body["organization_id"].clone();
    // A developer belongs to no organization: they sign in to one.
    let dev = app
        .login_with(
            "dev@batchtrack.example",
            batchtrack_ref::demo::PASSWORD,
            Some(&birch_org),
        )
        .await;
    let me = app.get(&dev, "/api/v1/me").await;
    assert_eq!(me.body["organization_id"], birch_org, "{}", me.body);
    let entered = app
        .post(
            &dev,
            "/api/v1/auth/organization",
            json!({"organization_id": acme_org}),
        )
        .await;
    assert_eq!(entered.status, 204, "{}", entered.body);
    let me = app.get(&dev, "/api/v1/me").await;
    assert_eq!(
        me.body["organization_id"], acme_org,
        "the session moved: {}",
        me.body
    );
    let audit = app
        .get(&acme, "/api/v1/audit?event=developer.org_switch")
        .await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    assert!(
        !audit.body["events"].as_array().expect("events").is_empty(),
        "Acme's log shows the developer came in: {}",
        audit.body
    );
    let refused = app
        .post(
            &acme,
            "/api/v1/auth/organization",
            json!({"organization_id": birch_org}),
        )
        .await;
    assert_eq!(
        refused.status, 403,
        "a member is no developer: {}",
        refused.body
    );
    let nobody = app
        .call(
            None,
            Method::POST,
            "/api/v1/auth/organization",
            Some(json!({"organization_id": birch_org})),
        )
        .await;
    assert_eq!(nobody.status, 401, "{}", nobody.body);
}

crate::served!(
    a_new_organization_signs_up_invites_and_hands_over,
    a_developer_enters_an_organization,
);
