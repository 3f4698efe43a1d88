//! The pages that work: every page answers, the daily flow, forms and their errors, the team.

use super::*;

async fn every_page_answers_its_owner(app: &Served) {
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
    let token = app.login("owner@acme.example").await;
    let batch = app.items(&token, "/api/v1/batches").await[0]["id"]
        .as_i64()
        .expect("the demo's batch");
    let lot = app.items(&token, "/api/v1/lots").await[0]["id"]
        .as_i64()
        .expect("a lot");
    for path in [
        "/".to_owned(),
        "/ingredients".to_owned(),
        format!("/ingredients/{ingredient}"),
        "/recipes".to_owned(),
        format!("/recipes/{recipe}"),
        format!("/recipes/{recipe}?scale=2.5"),
        "/batches".to_owned(),
        "/products".to_owned(),
        "/team".to_owned(),
        "/audit".to_owned(),
        format!("/batches/{batch}/trace"),
        format!("/lots/{lot}/trace"),
    ] {
        let page = owner.get(&path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.html);
        assert!(
            page.html.contains("Acme Soap Co"),
            "{path} names the organization"
        );
        assert!(
            !page.html.contains("Birch"),
            "{path} shows nothing of Birch"
        );
    }
    let css = owner.get("/static/site.css").await;
    assert_eq!(css.status, 200);
}

async fn the_daily_flow_runs_in_pages(app: &Served) {
    let mut owner = Visitor::signed_in(app, "owner@acme.example").await;
    let recipe = api_id(
        app,
        "owner@acme.example",
        "/api/v1/recipes",
        "name",
        "Lavender soap",
    )
    .await;
    let check = owner.get(&format!("/recipes/{recipe}?scale=1")).await;
    assert!(
        check.html.contains("Enough stock for this batch."),
        "{}",
        check.html
    );
    assert!(check.html.contains("The largest batch possible now"));
    let short = owner.get(&format!("/recipes/{recipe}?scale=500")).await;
    assert!(short.html.contains("Not enough stock"));
    assert!(
        !short.html.contains("Start batch"),
        "no start offered when short"
    );
    let started = owner
        .post(
            "/batches",
            &[("recipe_id", &recipe.to_string()), ("scale", "1")],
        )
        .await;
    assert_eq!(started.status, 303, "{}", started.html);
    let batch = id_in(started.location.as_deref().expect("the batch's page"));
    let page = owner.get(&format!("/batches/{batch}")).await;
    assert!(page.html.contains("in progress"));
    let sku = csrf_free_option(&page.html);
    let finished = owner
        .post(
            &format!("/batches/{batch}/finish"),
            &[
                ("sku_id", &sku),
                ("yield_quantity", "12"),
                ("batch_code", &format!("WEB-{batch}")),
            ],
        )
        .await;
    assert_eq!(finished.status, 303, "{}", finished.html);
    let products = owner.get("/products").await;
    assert!(
        products.html.contains(&format!("WEB-{batch}: 12 pcs")),
        "{}",
        products.html
    );
    // Too much at once: the page says what is short, nothing is taken.
    let refused = owner
        .post(
            "/batches",
            &[("recipe_id", &recipe.to_string()), ("scale", "500")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.html.contains("is short by"), "{}", refused.html);
    // A malformed scale is shown next to its field.
    let malformed = owner.get(&format!("/recipes/{recipe}?scale=lots")).await;
    assert!(malformed.html.contains("must be a number"));
}

async fn forms_show_their_errors_next_to_their_fields(app: &Served) {
    let mut owner = Visitor::signed_in(app, "owner@acme.example").await;
    let ingredient = api_id(
        app,
        "owner@acme.example",
        "/api/v1/ingredients",
        "name",
        "Olive oil",
    )
    .await;
    let path = format!("/ingredients/{ingredient}/lots");
    let bad = owner
        .post(
            &path,
            &[
                ("lot_number", "L-9"),
                ("quantity", "lots"),
                ("unit_id", "1"),
                ("cost_per_unit", "-1"),
                ("received_on", "2026-02-30"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(bad.html.contains(r#"id="quantity-error""#), "{}", bad.html);
    assert!(bad.html.contains(r#"id="received_on-error""#));
    assert!(
        bad.html.contains(r#"value="L-9""#),
        "what was typed is kept"
    );
    // The service's own refusal lands at its field too.
    let negative = owner
        .post(
            &path,
            &[
                ("lot_number", "L-9"),
                ("quantity", "5"),
                ("unit_id", "1"),
                ("cost_per_unit", "-1"),
                ("received_on", "2026-11-02"),
            ],
        )
        .await;
    assert_eq!(negative.status, 422, "{}", negative.html);
    assert!(
        negative.html.contains(r#"id="cost_per_unit-error""#),
        "{}",
        negative.html
    );
    let token = app.login("owner@acme.example").await;
    let lots = |items: Vec<Value>| {
        items
            .iter()
            .filter(|lot| lot["lot_number"] == "L-9")
            .count()
    };
    assert_eq!(
        lots(app.items(&token, "/api/v1/lots?limit=200").await),
        0,
        "nothing written"
    );
    let grams = app.items(&token, "/api/v1/units").await;
    let grams = grams
        .iter()
        .find(|unit| unit["symbol"] == "g")
        .and_then(|unit| unit["id"].as_i64())
        .expect("grams")
        .to_string();
    let received = owner
        .post(
            &path,
            &[
                ("lot_number", "L-9"),
                ("supplier", "Northwind"),
                ("quantity", "2.5"),
                ("unit_id", &grams),
                ("cost_per_unit", "0.02"),
                ("received_on", "2026-11-02"),
                ("expires_on", ""),
            ],
        )
        .await;
    assert_eq!(received.status, 303, "{}", received.html);
    assert_eq!(lots(app.items(&token, "/api/v1/lots?limit=200").await), 1);
    let lot = app
        .items(&token, "/api/v1/lots?limit=200")
        .await
        .into_iter()
        .find(|lot| lot["lot_number"] == "L-9")
        .and_then(|lot| lot["id"].as_i64())
        .expect("the lot");
    let adjusted = owner
        .post(
            &format!("/lots/{lot}/adjust"),
            &[
                ("kind", "spoilage"),
                ("quantity", "0.5"),
                ("reason", "spilled"),
            ],
        )
        .await;
    assert_eq!(adjusted.status, 303, "{}", adjusted.html);
    let unknown_kind = owner
        .post(
            &format!("/lots/{lot}/adjust"),
            &[("kind", "theft"), ("quantity", "0.5"), ("reason", "x")],
        )
        .await;
    assert_eq!(unknown_kind.status, 422);
    assert!(unknown_kind.html.contains("choose the kind"));
    let page = owner.get(&format!("/ingredients/{ingredient}")).await;
    assert!(page.html.contains("L-9"));
    let created = owner
        .post("/ingredients", &[("name", ""), ("stock_unit_id", &grams)])
        .await;
    assert_eq!(created.status, 422, "{}", created.html);
    assert!(
        created.html.contains(r#"id="name-error""#),
        "{}",
        created.html
    );
    let not_a_form = owner
        .client
        .post(format!("{}/batches", app.base))
        .header(COOKIE, owner.cookie_header())
        .header(CONTENT_TYPE, "application/json")
        .body("{}")
        .send()
        .await
        .expect("answered");
    assert_eq!(not_a_form.status(), 415);
}

async fn the_team_is_managed_in_pages(app: &Served) {
    let mut owner = Visitor::signed_in(app, "owner@acme.example").await;
    let team = owner.get("/team").await;
    assert_eq!(team.status, 200);
    assert!(team.html.contains("Invite someone") && team.html.contains("Transfer ownership"));
    let token = app.login("owner@acme.example").await;
    let roles = app.items(&token, "/api/v1/roles").await;
    let role_id = |name: &str| {
        roles
            .iter()
            .find(|role| role["name"] == name)
            .and_then(|role| role["id"].as_i64())
            .unwrap_or_else(|| panic!("a role {name}"))
            .to_string()
    };
    let invited = owner
        .post(
            "/team/invitations",
            &[
                ("email", "packer@acme.example"),
                ("invite_role", &role_id("Viewer")),
            ],
        )
        .await;
    assert_eq!(invited.status, 303, "{}", invited.html);
    assert!(
        app.outbox
            .sent()
            .iter()
            .any(|message| message.to == "packer@acme.example")
    );
    assert!(
        owner
            .get("/team")
            .await
            .html
            .contains("packer@acme.example")
    );
    let made = owner.post("/team/roles", &[("name", "Packer")]).await;
    assert_eq!(made.status, 303, "{}", made.html);
    let roles = app.items(&token, "/api/v1/roles").await;
    let packer = roles
        .iter()
        .find(|role| role["name"] == "Packer")
        .and_then(|role| role["id"].as_i64())
        .expect("the new role")
        .to_string();
    let granted = owner
        .post(
            "/team/permissions",
            &[("grant_role", &packer), ("permission", "inventory.view")],
        )
        .await;
    assert_eq!(granted.status, 303, "{}", granted.html);
    let members = app.items(&token, "/api/v1/members").await;
    let viewer = members
        .iter()
        .find(|member| {
            member["name"]
                .as_str()
                .is_some_and(|name| name.contains("Viewer") || name.contains("viewer"))
        })
        .unwrap_or(&members[members.len() - 1])["membership_id"]
        .as_i64()
        .expect("a membership");
    let given = owner
        .post(
            &format!("/team/members/{viewer}/roles"),
            &[("role_id", &packer)],
        )
        .await;
    assert_eq!(given.status, 303, "{}", given.html);
    let off = owner
        .post(&format!("/team/members/{viewer}/deactivate"), &[])
        .await;
    assert_eq!(off.status, 303, "{}", off.html);
    assert!(owner.get("/team").await.html.contains("deactivated"));
    let on = owner
        .post(&format!("/team/members/{viewer}/restore"), &[])
        .await;
    assert_eq!(on.status, 303, "{}", on.html);
    // Another organization's membership is not found.
    let birch = app.login("owner@birch.example").await;
    let theirs = app.items(&birch, "/api/v1/members").await[0]["membership_id"]
        .as_i64()
        .expect("a membership");
    let refused = owner
        .post(&format!("/team/members/{theirs}/deactivate"), &[])
        .await;
    assert_eq!(refused.status, 404, "{}", refused.html);
    let audit = owner.get("/audit").await;
    assert!(audit.html.contains("invitation"), "{}", audit.html);
}

/// The first option's value of the page's SKU dropdown.
fn csrf_free_option(html: &str) -> String {
    let at = html
        .find(r#"<select id="sku_id""#)
        .expect("the SKU dropdown");
    let rest = &html[at..];
    let at = rest.find(r#"<option value=""#).expect("an option") + r#"<option value=""#.len();
    rest[at..at + rest[at..].find('"').expect("ends")].to_owned()
}

crate::served!(
    every_page_answers_its_owner,
    the_daily_flow_runs_in_pages,
    forms_show_their_errors_next_to_their_fields,
    the_team_is_managed_in_pages,
);
