//! The daily flows over HTTP: stock check, start, finish, trace, sell;
//! safe retries; signing out; the billing lapse.

use reqwest::Method;
use serde_json::json;

use crate::served::Served;

async fn stock_check_start_finish_trace_and_sell(app: &Served) {
    let owner = app.login("owner@acme.example").await;
    let recipe = app.items(&owner, "/api/v1/recipes").await[0]["id"].clone();
    let check = app
        .get(
            &owner,
            &format!("/api/v1/recipes/{recipe}/stock-check?scale=2"),
        )
        .await;
    assert_eq!(check.status, 200, "{}", check.body);
    assert_eq!(check.body["can_make"], true, "{}", check.body);

    let started = app
        .post(
            &owner,
            "/api/v1/batches",
            json!({"recipe_id": recipe, "scale": "2"}),
        )
        .await;
    assert_eq!(started.status, 201, "{}", started.body);
    let batch = started.body["batch"]["id"].as_i64().expect("an id");
    assert_eq!(started.body["batch"]["status"], "in_progress");
    assert!(
        !started.body["used"]
            .as_array()
            .expect("lots used")
            .is_empty()
    );

    let sku = app.items(&owner, "/api/v1/skus").await[0]["id"].clone();
    let finished = app
        .post(
            &owner,
            &format!("/api/v1/batches/{batch}/finish"),
            json!({"sku_id": sku, "yield_quantity": "40", "batch_code": "LAV-HTTP-1"}),
        )
        .await;
    assert_eq!(finished.status, 201, "{}", finished.body);
    assert_eq!(finished.body["quantity"], "40");
    let again = app
        .post(
            &owner,
            &format!("/api/v1/batches/{batch}/finish"),
            json!({"sku_id": sku, "yield_quantity": "40"}),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(again.body["code"], "batch_not_in_progress");

    let traced = app
        .get(&owner, &format!("/api/v1/trace/batches/{batch}"))
        .await;
    assert_eq!(traced.status, 200, "{}", traced.body);
    assert_eq!(
        traced.body["lots"].as_array().map(Vec::len),
        started.body["used"].as_array().map(Vec::len),
        "every lot the batch took is traced: {}",
        traced.body
    );
    assert_eq!(traced.body["products"][0]["batch_code"], "LAV-HTTP-1");
    let lot = traced.body["lots"][0]["lot"]["id"].clone();
    let forward = app.get(&owner, &format!("/api/v1/trace/lots/{lot}")).await;
    assert!(
        forward.body["batches"]
            .as_array()
            .expect("batches")
            .iter()
            .any(|used| used["batch"]["id"] == batch),
        "{}",
        forward.body
    );

    let goods = app
        .get(&owner, &format!("/api/v1/skus/{sku}/inventory"))
        .await;
    assert!(
        goods
            .body
            .as_array()
            .expect("goods")
            .iter()
            .any(|row| row["batch_id"] == batch),
        "{}",
        goods.body
    );
    let sold = app
        .post(
            &owner,
            "/api/v1/sales",
            json!({"sku_id": sku, "kind": "sale", "quantity": "3", "reference": "market"}),
        )
        .await;
    assert_eq!(sold.status, 201, "{}", sold.body);
    let too_many = app
        .post(
            &owner,
            "/api/v1/sales",
            json!({"sku_id": sku, "kind": "sale", "quantity": "100000"}),
        )
        .await;
    assert_eq!(too_many.status, 409, "{}", too_many.body);
    assert_eq!(too_many.body["code"], "not_enough_goods");

    let big = app
        .post(
            &owner,
            "/api/v1/batches",
            json!({"recipe_id": recipe, "scale": "1000"}),
        )
        .await;
    assert_eq!(big.status, 409, "{}", big.body);
    assert_eq!(big.body["code"], "short_stock");
    assert!(!big.body["shortfalls"].as_array().expect("lines").is_empty());
}

async fn a_retry_with_the_same_key_answers_the_first_response(app: &Served) {
    let owner = app.login("owner@acme.example").await;
    let recipe = app.items(&owner, "/api/v1/recipes").await[0]["id"].clone();
    let before = app.get(&owner, "/api/v1/batches").await.body["total"].clone();
    let start = |scale: &str| {
        app.request(Method::POST, "/api/v1/batches")
            .bearer_auth(&owner)
            .header("idempotency-key", "start-7f3a")
            .json(&json!({"recipe_id": recipe, "scale": scale}))
    };
    let first = crate::served::answer(start("1")).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let second = crate::served::answer(start("1")).await;
    assert_eq!(second.status, 201);
    assert_eq!(second.body, first.body, "the first response, again");
    assert_eq!(
        second
            .headers
            .get("idempotent-replayed")
            .map(|v| v.as_bytes()),
        Some(&b"true"[..])
    );
    let other = crate::served::answer(start("2")).await;
    assert_eq!(other.status, 422, "{}", other.body);
    assert_eq!(other.body["code"], "idempotency_key_reused");
    let after = app.get(&owner, "/api/v1/batches").await.body["total"].clone();
    assert_eq!(
        after.as_u64(),
        before.as_u64().map(|n| n + 1),
        "one batch started"
    );

    // A refusal frees the key: the fixed request goes through under it.
    let lot = |quantity: &str| {
        app.request(Method::POST, "/api/v1/lots")
            .bearer_auth(&owner)
            .header("idempotency-key", "receive-1")
            .json(
                &json!({"ingredient_id": 1, "lot_number": "R-1", "quantity": quantity,
                          "unit_id": 6, "cost_per_unit": "0.01", "received_on": "2026-11-30"}),
            )
    };
    let refused = crate::served::answer(lot("0")).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let received = crate::served::answer(lot("500")).await;
    assert_eq!(received.status, 201, "{}", received.body);

    // Another organization's same key is its own.
    let birch = app.login("owner@birch.example").await;
    let birch_recipe = app.items(&birch, "/api/v1/recipes").await[0]["id"].clone();
    let theirs = crate::served::answer(
        app.request(Method::POST, "/api/v1/batches")
            .bearer_auth(&birch)
            .header("idempotency-key", "start-7f3a")
            .json(&json!({"recipe_id": birch_recipe, "scale": "1"})),
    )
    .await;
    assert_eq!(theirs.status, 201, "{}", theirs.body);
    assert!(theirs.headers.get("idempotent-replayed").is_none());
}

async fn signing_out_ends_the_session(app: &Served) {
    let token = app.login("manager@acme.example").await;
    let me = app.get(&token, "/api/v1/me").await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert!(
        me.body["permissions"]
            .as_array()
            .expect("keys")
            .iter()
            .any(|key| key == "batches.run")
    );
    let out = app
        .call(Some(&token), Method::POST, "/api/v1/auth/logout", None)
        .await;
    assert_eq!(out.status, 204, "{}", out.body);
    let after = app.get(&token, "/api/v1/me").await;
    assert_eq!(after.status, 401, "{}", after.body);
    let wrong = app
        .call(
            None,
            Method::POST,
            "/api/v1/auth/login",
            Some(json!({"email": "manager@acme.example", "password": "wrong-password"})),
        )
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert_eq!(wrong.body["code"], "invalid_login");
    let nobody = app.call(None, Method::GET, "/api/v1/lots", None).await;
    assert_eq!(nobody.status, 401, "{}", nobody.body);
}

async fn a_billing_lapse_locks_out_all_but_the_owner(app: &Served) {
    let manager = app.login("manager@birch.example").await;
    app.lapse_billing("Birch Candle Works").await;
    let refused = app.get(&manager, "/api/v1/lots").await;
    assert_eq!(refused.status, 402, "{}", refused.body);
    assert_eq!(refused.body["code"], "billing_lapsed");
    assert_eq!(refused.body["contact"], "owner@birch.example");
    let viewer = app
        .call(
            None,
            Method::POST,
            "/api/v1/auth/login",
            Some(json!({"email": "viewer@birch.example", "password": batchtrack_ref::demo::PASSWORD})),
        )
        .await;
    assert_eq!(viewer.status, 402, "{}", viewer.body);
    let owner = app.login("owner@birch.example").await;
    assert_eq!(app.get(&owner, "/api/v1/lots").await.status, 200);
    // Acme is not touched.
    let acme = app.login("viewer@acme.example").await;
    assert_eq!(app.get(&acme, "/api/v1/lots").await.status, 200);
}

async fn the_owner_reads_the_audit_log_page_by_page(app: &Served) {
    let owner = app.login("owner@acme.example").await;
    let manager = app.login("manager@acme.example").await;
    let refused = app.get(&manager, "/api/v1/audit").await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let sign_ins = app
        .get(&owner, "/api/v1/audit?event=login.succeeded&limit=1")
        .await;
    assert_eq!(sign_ins.status, 200, "{}", sign_ins.body);
    let first = &sign_ins.body["events"][0];
    assert_eq!(first["event"], "login.succeeded");
    assert_eq!(first["organization_id"], 1, "Acme's own events only");
    let after = sign_ins.body["next"].as_i64().expect("a next page");
    let next = app
        .get(
            &owner,
            &format!("/api/v1/audit?event=login.succeeded&limit=1&after={after}"),
        )
        .await;
    assert_eq!(next.status, 200, "{}", next.body);
    assert_ne!(
        next.body["events"][0]["id"], first["id"],
        "pages do not overlap"
    );
    let too_many = app.get(&owner, "/api/v1/audit?limit=501").await;
    assert_eq!(too_many.status, 422, "{}", too_many.body);
    let birch = app.login("owner@birch.example").await;
    let theirs = app.get(&birch, "/api/v1/audit?limit=500").await;
    assert!(
        theirs.body["events"]
            .as_array()
            .expect("events")
            .iter()
            .all(|event| event["organization_id"] != 1),
        "{}",
        theirs.body
    );
}

async fn an_edit_names_the_version_it_was_made_against(app: &Served) {
    let owner = app.login("owner@acme.example").await;
    let id = app.items(&owner, "/api/v1/ingredients").await[0]["id"].clone();
    let path = format!("/api/v1/ingredients/{id}");
    let read = app.get(&owner, &path).await;
    let etag = read.headers["etag"].to_str().expect("an ETag").to_owned();
    let patch = |tag: Option<&str>, body: serde_json::Value| {
        let mut request = app
            .request(Method::PATCH, &path)
            .bearer_auth(&owner)
            .json(&body);
        if let Some(tag) = tag {
            request = request.header("if-match", tag);
        }
        crate::served::answer(request)
    };
    let unguarded = patch(None, json!({"low_stock_threshold": "5"})).await;
    assert_eq!(unguarded.status, 428, "{}", unguarded.body);
    let malformed = patch(Some("abc"), json!({"low_stock_threshold": "5"})).await;
    assert_eq!(malformed.status, 400, "{}", malformed.body);
    let edited = patch(
        Some(&etag),
        json!({"low_stock_threshold": "750", "density": null}),
    )
    .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.body["low_stock_threshold"], "750");
    assert_eq!(edited.body["density"], serde_json::Value::Null);
    assert_eq!(
        edited.body["name"], read.body["name"],
        "a field left out is kept"
    );
    let new_tag = edited.headers["etag"].to_str().expect("an ETag").to_owned();
    assert_ne!(new_tag, etag);
    let stale = patch(Some(&etag), json!({"low_stock_threshold": "1"})).await;
    assert_eq!(stale.status, 412, "{}", stale.body);
    assert_eq!(stale.body["code"], "stale");
    assert_eq!(stale.headers["etag"].to_str().ok(), Some(new_tag.as_str()));
    assert_eq!(
        app.get(&owner, &path).await.body,
        edited.body,
        "nothing changed"
    );
    let overwrite = patch(Some("*"), json!({"low_stock_threshold": "800"})).await;
    assert_eq!(overwrite.status, 200, "{}", overwrite.body);

    // Two edits at one version: one lands, the other is stale.
    let tag = overwrite.headers["etag"]
        .to_str()
        .expect("an ETag")
        .to_owned();
    let (a, b) = tokio::join!(
        patch(Some(&tag), json!({"low_stock_threshold": "10"})),
        patch(Some(&tag), json!({"low_stock_threshold": "20"})),
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412], "{} / {}", a.body, b.body);

    // The other editable resources carry versions too.
    for list in ["/api/v1/recipes", "/api/v1/products", "/api/v1/skus"] {
        let id = app.items(&owner, list).await[0]["id"].clone();
        let path = format!("{list}/{id}");
        let read = app.get(&owner, &path).await;
        let etag = read.headers["etag"].to_str().expect("an ETag").to_owned();
        let renamed = crate::served::answer(
            app.request(Method::PATCH, &path)
                .bearer_auth(&owner)
                .header("if-match", &etag)
                .json(&json!({"name": "Renamed"})),
        )
        .await;
        assert_eq!(renamed.status, 200, "{path}: {}", renamed.body);
        assert_eq!(renamed.body["name"], "Renamed");
    }
}

/// A `Stripe-Signature` header for `body`, signed now.
fn stripe_signature(body: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let t = chrono::Utc::now().timestamp();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(crate::served::STRIPE_SECRET.as_bytes())
        .expect("any key length");
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

async fn stripe_events_are_verified_and_applied_once(app: &Served) {
    let owner = app.login("owner@acme.example").await;
    let org = app.get(&owner, "/api/v1/me").await.body["organization_id"].clone();
    let org = tenancy_core::OrgId::new(org.as_i64().expect("an id"));
    app.link_customer(org, "cus_acme").await;
    let event = json!({
        "id": "evt_1", "object": "event", "type": "customer.subscription.updated",
        "created": chrono::Utc::now().timestamp(),
        "data": {"object": {"id": "sub_1", "object": "subscription", "customer": "cus_acme",
                            "status": "active", "metadata": {"tier": "enterprise"}}},
    })
    .to_string();
    let deliver = |signature: String| {
        crate::served::answer(
            app.request(Method::POST, batchtrack_ref::http::STRIPE_WEBHOOK)
                .header("stripe-signature", signature)
                .header("content-type", "application/json")
                .body(event.clone()),
        )
    };
    let applied = deliver(stripe_signature(&event)).await;
    assert_eq!(applied.status, 200, "{}", applied.body);
    assert_eq!(applied.body["outcome"], "applied");
    let again = deliver(stripe_signature(&event)).await;
    assert_eq!(again.body["outcome"], "duplicate", "{}", again.body);
    let forged = deliver("t=1,v1=00".to_owned()).await;
    assert_eq!(forged.status, 400, "{}", forged.body);
    let organization = app.get(&owner, "/api/v1/organization").await;
    assert_eq!(
        organization.body["tier"], "enterprise",
        "{}",
        organization.body
    );
}

async fn the_history_lists_movements_newest_first(app: &Served) {
    let owner = app.login("owner@acme.example").await;
    let receipts = app.items(&owner, "/api/v1/history?kind=receipt").await;
    assert!(!receipts.is_empty());
    assert!(receipts.iter().all(|row| row["kind"] == "receipt"));
    let ids: Vec<i64> = receipts
        .iter()
        .filter_map(|row| row["id"].as_i64())
        .collect();
    assert!(
        ids.windows(2).all(|pair| pair[0] > pair[1]),
        "newest first: {ids:?}"
    );
    let batch = app.items(&owner, "/api/v1/batches").await[0]["id"].clone();
    let used = app
        .items(&owner, &format!("/api/v1/history?batch_id={batch}"))
        .await;
    assert!(!used.is_empty() && used.iter().all(|row| row["batch_id"] == batch));
    let page = app.get(&owner, "/api/v1/history?limit=2&offset=1").await;
    assert_eq!(page.body["items"].as_array().map(Vec::len), Some(2));
    assert!(page.body["total"].as_u64() > Some(2));
    let unknown = app.get(&owner, "/api/v1/history?kind=theft").await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
}

crate::served!(
    stripe_events_are_verified_and_applied_once,
    the_history_lists_movements_newest_first,
    an_edit_names_the_version_it_was_made_against,
    the_owner_reads_the_audit_log_page_by_page,
    stock_check_start_finish_trace_and_sell,
    a_retry_with_the_same_key_answers_the_first_response,
    signing_out_ends_the_session,
    a_billing_lapse_locks_out_all_but_the_owner,
);
