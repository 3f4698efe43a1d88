//! One organization's people against the other's ids: every route that
//! takes an id, enumerated from the OpenAPI document so that a new route
//! cannot escape, answers 404 and changes nothing; ids smuggled in bodies
//! are refused and nothing is written; a viewer is refused every write.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::served::Served;

/// Every operation of the document: method, path template; with
/// `signed_in_only`, only those that require a session (no empty
/// security requirement: not sign-in, sign-up, Stripe's webhook).
async fn operations(app: &Served) -> Vec<(Method, String)> {
    operations_of(app, false).await
}

async fn operations_of(app: &Served, signed_in_only: bool) -> Vec<(Method, String)> {
    let document: Value = app
        .request(Method::GET, "/openapi.json")
        .send()
        .await
        .expect("the document is served")
        .json()
        .await
        .expect("JSON");
    assert_eq!(document["openapi"].as_str().map(|v| &v[..3]), Some("3.1"));
    let mut out = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            let public = operation["security"]
                .as_array()
                .is_some_and(|requirements| {
                    requirements
                        .iter()
                        .any(|r| r.as_object().is_some_and(serde_json::Map::is_empty))
                });
            if signed_in_only && public {
                continue;
            }
            let method = method.to_uppercase().parse().expect("a method");
            out.push((method, path.clone()));
        }
    }
    assert!(out.len() >= 40, "the document lists every route: {out:?}");
    out
}

/// Birch's ids, one of each kind a path takes.
async fn birch_ids(app: &Served) -> Vec<(&'static str, i64)> {
    let owner = app.login("owner@birch.example").await;
    let category = app
        .post(&owner, "/api/v1/categories", json!({"name": "Waxes"}))
        .await;
    assert_eq!(category.status, 201, "{}", category.body);
    let first = |items: Vec<Value>| items[0]["id"].as_i64().expect("an id");
    let batches = app.items(&owner, "/api/v1/batches").await;
    let batch = first(batches);
    let detail = app.get(&owner, &format!("/api/v1/batches/{batch}")).await;
    let goods = detail.body["products"][0]["id"].as_i64().expect("goods");
    let role = app
        .post(&owner, "/api/v1/roles", json!({"name": "Wick dippers"}))
        .await;
    assert_eq!(role.status, 201, "{}", role.body);
    let role = role.body["id"].as_i64().expect("an id");
    let members = app.get(&owner, "/api/v1/members").await.body;
    let member = members
        .as_array()
        .expect("members")
        .iter()
        .find(|member| member["is_owner"] == false)
        .expect("a member who is not the owner")["membership_id"]
        .as_i64()
        .expect("an id");
    let assigned = app
        .post(
            &owner,
            &format!("/api/v1/members/{member}/roles"),
            json!({"role_id": role}),
        )
        .await;
    assert_eq!(assigned.status, 201, "{}", assigned.body);
    let invited = app
        .post(
            &owner,
            "/api/v1/invitations",
            json!({"email": "new@birch.example"}),
        )
        .await;
    assert_eq!(invited.status, 201, "{}", invited.body);
    vec![
        ("members", member),
        ("roles", role),
        (
            "role-assignments",
            assigned.body["id"].as_i64().expect("an id"),
        ),
        ("invitations", invited.body["id"].as_i64().expect("an id")),
        ("categories", category.body["id"].as_i64().expect("an id")),
        (
            "ingredients",
            first(app.items(&owner, "/api/v1/ingredients").await),
        ),
        ("recipes", first(app.items(&owner, "/api/v1/recipes").await)),
        ("lots", first(app.items(&owner, "/api/v1/lots").await)),
        ("batches", batch),
        (
            "products",
            first(app.items(&owner, "/api/v1/products").await),
        ),
        ("skus", first(app.items(&owner, "/api/v1/skus").await)),
        ("product-inventory", goods),
    ]
}

/// What Birch's owner sees of the routes that read: compared before and
/// after Acme's attempts.
async fn snapshot(app: &Served, token: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for path in [
        "/api/v1/categories",
        "/api/v1/ingredients",
        "/api/v1/recipes",
        "/api/v1/lots",
        "/api/v1/batches",
        "/api/v1/products",
        "/api/v1/skus",
        "/api/v1/members",
        "/api/v1/roles",
        "/api/v1/invitations",
    ] {
        out.push(app.get(token, path).await.body);
    }
    out
}

/// A body that would be accepted on Acme's own ids, so that only the id
/// makes the difference.
fn body_for(path: &str, acme_sku: i64, acme_role: i64) -> Option<Value> {
    if path.ends_with("/finish") {
        Some(json!({"sku_id": acme_sku, "yield_quantity": "1"}))
    } else if path.ends_with("/roles") {
        Some(json!({"role_id": acme_role}))
    } else if path.contains("/permissions") {
        Some(json!({"permission": "batches.run"}))
    } else if path.ends_with("/skus") {
        Some(json!({"sku": "SMUGGLED", "name": "smuggled", "price": "1"}))
    } else {
        None
    }
}

async fn other_organizations_ids_are_not_found_on_every_route(app: &Served) {
    let ids = birch_ids(app).await;
    let birch = app.login("owner@birch.example").await;
    let before = snapshot(app, &birch).await;
    let acme = app.login("owner@acme.example").await;
    let acme_sku = app.items(&acme, "/api/v1/skus").await[0]["id"]
        .as_i64()
        .expect("an id");
    let acme_role = app
        .post(&acme, "/api/v1/roles", json!({"name": "Cutters"}))
        .await
        .body["id"]
        .as_i64()
        .expect("an id");
    let mut tried = 0;
    for (method, template) in operations(app).await {
        if !template.contains("{id}") {
            continue;
        }
        let kind = template
            .split('/')
            .rev()
            .find(|segment| ids.iter().any(|(kind, _)| kind == segment))
            .unwrap_or_else(|| panic!("{template}: the test has no id of this kind"));
        let id = ids.iter().find(|(k, _)| *k == kind).map(|(_, id)| *id);
        let path = template.replace("{id}", &id.expect("an id").to_string());
        let answer = if method == Method::PATCH {
            // An edit that would overwrite anything: only the id is wrong.
            crate::served::answer(
                app.request(method.clone(), &path)
                    .bearer_auth(&acme)
                    .header("if-match", "*")
                    .json(&json!({"name": "smuggled"})),
            )
            .await
        } else {
            app.call(
                Some(&acme),
                method.clone(),
                &path,
                body_for(&template, acme_sku, acme_role),
            )
            .await
        };
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{method} {path} of Birch's as Acme's owner: {}",
            answer.body
        );
        assert_eq!(answer.body["code"], "not_found", "{method} {path}");
        tried += 1;
    }
    assert!(tried >= 31, "every route with an id was tried: {tried}");
    assert_eq!(
        snapshot(app, &birch).await,
        before,
        "nothing of Birch's changed"
    );
}

async fn ids_smuggled_in_bodies_are_refused_and_nothing_is_written(app: &Served) {
    let ids = birch_ids(app).await;
    let id = |kind: &str| ids.iter().find(|(k, _)| *k == kind).map(|(_, id)| *id);
    let acme = app.login("owner@acme.example").await;
    let acme_ingredient = app.items(&acme, "/api/v1/ingredients").await[0]["id"].clone();
    let acme_unit = app.items(&acme, "/api/v1/ingredients").await[0]["stock_unit_id"].clone();
    // Acme's own batch, started first, to finish into Birch's SKU below.
    let started = app
        .post(
            &acme,
            "/api/v1/batches",
            json!({"recipe_id": app.items(&acme, "/api/v1/recipes").await[0]["id"]}),
        )
        .await;
    assert_eq!(started.status, 201, "{}", started.body);
    let batch = started.body["batch"]["id"].as_i64().expect("an id");
    let before = snapshot(app, &acme).await;
    let attempts = [
        (
            "/api/v1/lots",
            json!({"ingredient_id": id("ingredients"), "lot_number": "X1", "quantity": "1",
                   "unit_id": acme_unit, "cost_per_unit": "1", "received_on": "2026-01-01"}),
        ),
        (
            "/api/v1/batches",
            json!({"recipe_id": id("recipes"), "scale": "1"}),
        ),
        (
            "/api/v1/adjustments",
            json!({"lot_id": id("lots"), "kind": "spoilage", "quantity": "1", "reason": "x"}),
        ),
        (
            "/api/v1/sales",
            json!({"sku_id": id("skus"), "kind": "sale", "quantity": "1"}),
        ),
        (
            "/api/v1/recipes",
            json!({"name": "Smuggled", "lines": [
                {"ingredient_id": acme_ingredient, "quantity": "1", "unit_id": acme_unit},
                {"ingredient_id": id("ingredients"), "quantity": "1", "unit_id": acme_unit}]}),
        ),
        (
            "/api/v1/ingredients",
            json!({"name": "Smuggled", "category_id": id("categories"), "stock_unit_id": acme_unit}),
        ),
    ];
    for (path, body) in attempts {
        let answer = app.post(&acme, path, body.clone()).await;
        assert!(
            matches!(answer.status.as_u16(), 404 | 422),
            "POST {path} with Birch's id is refused: {} {}",
            answer.status,
            answer.body
        );
    }
    let finish = app
        .post(
            &acme,
            &format!("/api/v1/batches/{batch}/finish"),
            json!({"sku_id": id("skus"), "yield_quantity": "5"}),
        )
        .await;
    assert!(
        matches!(finish.status.as_u16(), 404 | 422),
        "{}",
        finish.body
    );
    let still = app.get(&acme, &format!("/api/v1/batches/{batch}")).await;
    assert_eq!(still.body["batch"]["status"], "in_progress");
    assert_eq!(snapshot(app, &acme).await, before, "nothing was written");
}

async fn a_viewer_is_refused_every_write(app: &Served) {
    let viewer = app.login("viewer@acme.example").await;
    let mut tried = 0;
    for (method, template) in operations_of(app, true).await {
        // Signing out and choosing an organization are the session's own.
        if method == Method::GET || template.starts_with("/api/v1/auth/") {
            continue;
        }
        let path = template.replace("{id}", "1");
        let answer = app
            .call(Some(&viewer), method.clone(), &path, Some(json!({})))
            .await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{method} {path} as a viewer: {}",
            answer.body
        );
        assert!(
            answer.body["code"] == "missing_permission" || answer.body["code"] == "forbidden",
            "{method} {path}: {}",
            answer.body
        );
        tried += 1;
    }
    assert!(tried >= 15, "every write was tried: {tried}");
    // What a viewer may do, it does.
    let check = app
        .get(&viewer, "/api/v1/recipes/1/stock-check?scale=1")
        .await;
    assert_eq!(check.status, 200, "{}", check.body);
}

crate::served!(
    other_organizations_ids_are_not_found_on_every_route,
    ids_smuggled_in_bodies_are_refused_and_nothing_is_written,
    a_viewer_is_refused_every_write,
);
