//! What the pages refuse: forms without their CSRF token, another organization's ids, a viewer's writes, the owner's pages to others.

use super::*;

async fn forms_without_the_token_change_nothing(app: &Served) {
    let mut owner = Visitor::signed_in(app, "owner@acme.example").await;
    let recipe = api_id(
        app,
        "owner@acme.example",
        "/api/v1/recipes",
        "name",
        "Lavender soap",
    )
    .await;
    let ingredient = api_id(
        app,
        "owner@acme.example",
        "/api/v1/ingredients",
        "name",
        "Olive oil",
    )
    .await;
    let before = owner
        .get("/batches")
        .await
        .html
        .matches("in progress")
        .count();
    let recipe = recipe.to_string();
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/batches".into(),
            vec![("recipe_id", recipe.as_str()), ("scale", "1")],
        ),
        (
            "/ingredients".into(),
            vec![("name", "Beeswax"), ("stock_unit_id", "1")],
        ),
        (
            format!("/ingredients/{ingredient}/lots"),
            vec![
                ("lot_number", "X"),
                ("quantity", "1"),
                ("unit_id", "1"),
                ("cost_per_unit", "1"),
                ("received_on", "2026-01-01"),
            ],
        ),
        (
            "/batches/1/finish".into(),
            vec![("sku_id", "1"), ("yield_quantity", "1")],
        ),
        ("/batches/1/cancel".into(), vec![]),
        (
            "/lots/1/adjust".into(),
            vec![("kind", "spoilage"), ("quantity", "1"), ("reason", "x")],
        ),
        (
            "/team/invitations".into(),
            vec![("email", "x@acme.example"), ("invite_role", "1")],
        ),
        ("/team/roles".into(), vec![("name", "Forged")]),
        (
            "/team/permissions".into(),
            vec![("grant_role", "1"), ("permission", "inventory.view")],
        ),
        ("/team/members/1/deactivate".into(), vec![]),
        ("/team/members/1/restore".into(), vec![]),
        ("/team/members/1/roles".into(), vec![("role_id", "1")]),
        ("/team/role-assignments/1/revoke".into(), vec![]),
        ("/team/invitations/1/revoke".into(), vec![]),
        ("/team/transfer".into(), vec![("user_id", "2")]),
        ("/organizations".into(), vec![("organization_id", "1")]),
        ("/sign-out".into(), vec![]),
    ];
    for (path, fields) in &posts {
        let missing = owner.post_raw(path, fields).await;
        assert_eq!(missing.status, 403, "{path} without a token");
        let mut forged = vec![("csrf", "00ff")];
        forged.extend_from_slice(fields);
        let wrong = owner.post_raw(path, &forged).await;
        assert_eq!(wrong.status, 403, "{path} with a wrong token");
    }
    // Another session's token does not do either.
    let mut other = Visitor::signed_in(app, "manager@acme.example").await;
    let theirs = csrf_of(&other.get("/").await.html);
    let refused = owner
        .post_raw(
            "/batches",
            &[("csrf", &theirs), ("recipe_id", &recipe), ("scale", "1")],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        owner
            .get("/batches")
            .await
            .html
            .matches("in progress")
            .count(),
        before
    );
    assert!(!owner.get("/ingredients").await.html.contains("Beeswax"));
    assert_eq!(owner.get("/").await.status, 200, "still signed in");
}

async fn another_organizations_ids_are_refused(app: &Served) {
    let mut acme = Visitor::signed_in(app, "owner@acme.example").await;
    let birch_recipe = api_id(
        app,
        "owner@birch.example",
        "/api/v1/recipes",
        "name",
        "Birch candle",
    )
    .await;
    let birch_ingredient = api_id(
        app,
        "owner@birch.example",
        "/api/v1/ingredients",
        "name",
        "Soy wax",
    )
    .await;
    let birch_token = app.login("owner@birch.example").await;
    let birch_sku = app.items(&birch_token, "/api/v1/skus").await[0]["id"]
        .as_i64()
        .expect("a SKU");
    for path in [
        format!("/recipes/{birch_recipe}"),
        format!("/ingredients/{birch_ingredient}"),
    ] {
        let page = acme.get(&path).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(!page.html.contains("Birch candle") && !page.html.contains("Soy wax"));
    }
    let started = acme
        .post(
            "/batches",
            &[("recipe_id", &birch_recipe.to_string()), ("scale", "1")],
        )
        .await;
    assert_eq!(started.status, 404, "{}", started.html);
    let received = acme
        .post(
            &format!("/ingredients/{birch_ingredient}/lots"),
            &[
                ("lot_number", "SMUGGLED"),
                ("quantity", "5"),
                ("unit_id", "1"),
                ("cost_per_unit", "1"),
                ("received_on", "2026-11-01"),
            ],
        )
        .await;
    assert!(
        received.status == 404 || received.status == 422,
        "{}",
        received.status
    );
    // A batch of Acme's, finished into Birch's SKU: refused at the field.
    let recipe = api_id(
        app,
        "owner@acme.example",
        "/api/v1/recipes",
        "name",
        "Lavender soap",
    )
    .await;
    let started = acme
        .post(
            "/batches",
            &[("recipe_id", &recipe.to_string()), ("scale", "1")],
        )
        .await;
    let batch = id_in(started.location.as_deref().expect("started"));
    let finished = acme
        .post(
            &format!("/batches/{batch}/finish"),
            &[("sku_id", &birch_sku.to_string()), ("yield_quantity", "3")],
        )
        .await;
    assert_eq!(finished.status, 422, "{}", finished.html);
    assert!(
        finished.html.contains(r#"id="sku_id-error""#),
        "{}",
        finished.html
    );
    assert!(
        acme.get(&format!("/batches/{batch}"))
            .await
            .html
            .contains("in progress")
    );
    let birch_lots = app.items(&birch_token, "/api/v1/lots?limit=200").await;
    assert!(birch_lots.iter().all(|lot| lot["lot_number"] != "SMUGGLED"));
}

async fn a_viewer_sees_no_forms_and_is_refused(app: &Served) {
    let mut viewer = Visitor::signed_in(app, "viewer@acme.example").await;
    let recipe = api_id(
        app,
        "owner@acme.example",
        "/api/v1/recipes",
        "name",
        "Lavender soap",
    )
    .await;
    let ingredient = api_id(
        app,
        "owner@acme.example",
        "/api/v1/ingredients",
        "name",
        "Olive oil",
    )
    .await;
    let check = viewer.get(&format!("/recipes/{recipe}")).await;
    assert_eq!(check.status, 200);
    assert!(!check.html.contains("Start batch"));
    let ingredient_page = viewer.get(&format!("/ingredients/{ingredient}")).await;
    assert!(!ingredient_page.html.contains("Receive a lot"));
    assert!(!ingredient_page.html.contains("Adjust"));
    assert!(
        !viewer
            .get("/ingredients")
            .await
            .html
            .contains("New ingredient")
    );
    let refused = viewer
        .post(
            "/batches",
            &[("recipe_id", &recipe.to_string()), ("scale", "1")],
        )
        .await;
    assert_eq!(refused.status, 403);
    let refused = viewer
        .post(
            "/ingredients",
            &[("name", "Viewer's"), ("stock_unit_id", "1")],
        )
        .await;
    assert_eq!(refused.status, 403);
}

async fn trace_pages_are_scoped(app: &Served) {
    let mut acme = Visitor::signed_in(app, "owner@acme.example").await;
    let birch = app.login("owner@birch.example").await;
    let batch = app.items(&birch, "/api/v1/batches").await[0]["id"]
        .as_i64()
        .expect("Birch's batch");
    let lot = app.items(&birch, "/api/v1/lots").await[0]["id"]
        .as_i64()
        .expect("a lot of Birch's");
    for path in [
        format!("/batches/{batch}/trace"),
        format!("/lots/{lot}/trace"),
        format!("/batches/{batch}"),
        format!("/batches/{batch}/finish"),
    ] {
        let page = if path.ends_with("finish") {
            acme.post(&path, &[("sku_id", "1"), ("yield_quantity", "1")])
                .await
        } else {
            acme.get(&path).await
        };
        assert_eq!(page.status, 404, "{path}: {}", page.html);
    }
    let token = app.login("owner@acme.example").await;
    let own = app.items(&token, "/api/v1/batches").await[0]["id"]
        .as_i64()
        .expect("Acme's batch");
    let traced = acme.get(&format!("/batches/{own}/trace")).await;
    assert_eq!(traced.status, 200);
    assert!(
        traced.html.contains(" g") || traced.html.contains(" ml"),
        "quantities carry units"
    );
}

async fn only_the_owner_reads_the_audit_log_and_hands_over(app: &Served) {
    let mut manager = Visitor::signed_in(app, "manager@acme.example").await;
    let audit = manager.get("/audit").await;
    assert_eq!(audit.status, 403, "{}", audit.html);
    let team = manager.get("/team").await;
    assert!(!team.html.contains("Transfer ownership"));
    let token = app.login("owner@acme.example").await;
    let members = app.items(&token, "/api/v1/members").await;
    let me = members
        .iter()
        .find(|member| member["is_owner"] == true)
        .and_then(|member| member["user_id"].as_i64())
        .expect("the owner");
    let refused = manager
        .post("/team/transfer", &[("user_id", &me.to_string())])
        .await;
    assert_eq!(refused.status, 403, "{}", refused.html);
}

crate::served!(
    forms_without_the_token_change_nothing,
    another_organizations_ids_are_refused,
    a_viewer_sees_no_forms_and_is_refused,
    trace_pages_are_scoped,
    only_the_owner_reads_the_audit_log_and_hands_over,
);
