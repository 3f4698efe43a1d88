//! Choosing the organization a session acts in: developers, and members of several.

use super::*;

async fn a_developer_chooses_an_organization(app: &Served) {
    let mut dev = Visitor::new(app);
    let form = dev.get("/sign-in").await;
    let csrf = csrf_of(&form.html);
    let signed_in = dev
        .post_raw(
            "/sign-in",
            &[
                ("csrf", &csrf),
                ("email", "dev@batchtrack.example"),
                ("password", batchtrack_ref::demo::PASSWORD),
            ],
        )
        .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.html);
    let home = dev.get("/").await;
    assert_eq!(
        home.location.as_deref(),
        Some("/organizations"),
        "{}",
        home.html
    );
    let list = dev.get("/organizations").await;
    assert_eq!(list.status, 200, "{}", list.html);
    assert!(list.html.contains("Acme Soap Co") && list.html.contains("Birch Candle Works"));
    let birch = app.login("owner@birch.example").await;
    let birch_org = app.get(&birch, "/api/v1/me").await.body["organization_id"]
        .as_i64()
        .expect("an organization")
        .to_string();
    let chosen = dev
        .post_raw(
            "/organizations",
            &[
                ("csrf", &csrf_of(&list.html)),
                ("organization_id", &birch_org),
            ],
        )
        .await;
    assert_eq!(chosen.status, 303, "{}", chosen.html);
    let home = dev.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.html.contains("Birch Candle Works"));
    // Members have no switcher.
    let mut owner = Visitor::signed_in(app, "owner@acme.example").await;
    assert_eq!(owner.get("/organizations").await.status, 403);
    let moved = owner
        .post("/organizations", &[("organization_id", &birch_org)])
        .await;
    assert_eq!(moved.status, 403);
    assert!(owner.get("/").await.html.contains("Acme Soap Co"));
}

async fn a_member_of_two_organizations_switches_between_them(app: &Served) {
    // Birch's owner invites Acme's manager, who accepts as themself.
    let birch = app.login("owner@birch.example").await;
    let invited = app
        .post(
            &birch,
            "/api/v1/invitations",
            serde_json::json!({"email": "manager@acme.example"}),
        )
        .await;
    assert_eq!(invited.status, 201, "{}", invited.body);
    let message = app.outbox.sent().pop().expect("a message");
    let token = message
        .body
        .split_whitespace()
        .find(|word| word.len() >= 32 && word.chars().all(|c| c.is_ascii_hexdigit()))
        .expect("the token in the message")
        .to_owned();
    let manager = app.login("manager@acme.example").await;
    let joined = app
        .post(
            &manager,
            "/api/v1/auth/accept-invitation",
            serde_json::json!({"token": token, "name": "Manager"}),
        )
        .await;
    assert_eq!(joined.status, 201, "{}", joined.body);
    let birch_org = app.get(&birch, "/api/v1/me").await.body["organization_id"]
        .as_i64()
        .expect("Birch")
        .to_string();

    let mut visitor = Visitor::signed_in(app, "manager@acme.example").await;
    let home = visitor.get("/").await;
    assert!(
        home.html.contains(r#"href="/organizations""#),
        "the switcher is offered"
    );
    let list = visitor.get("/organizations").await;
    assert_eq!(list.status, 200, "{}", list.html);
    assert!(list.html.contains("Acme Soap Co") && list.html.contains("Birch Candle Works"));
    let chosen = visitor
        .post("/organizations", &[("organization_id", &birch_org)])
        .await;
    assert_eq!(chosen.status, 303, "{}", chosen.html);
    assert!(visitor.get("/").await.html.contains("Birch Candle Works"));
    // Only among their own: a third organization's id is refused.
    let refused = visitor
        .post("/organizations", &[("organization_id", "999999")])
        .await;
    assert_eq!(refused.status, 403, "{}", refused.html);
    assert!(visitor.get("/").await.html.contains("Birch Candle Works"));
}

crate::served!(
    a_developer_chooses_an_organization,
    a_member_of_two_organizations_switches_between_them,
);
