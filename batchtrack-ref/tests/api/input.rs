//! Client mistakes get a 4xx problem naming the mistake, never a 5xx, and
//! change nothing.

use reqwest::Method;
use serde_json::json;

use crate::served::{Served, answer, read};

async fn malformed_input_is_a_4xx_problem(app: &Served) {
    let owner = app.login("owner@acme.example").await;
    let before = app.get(&owner, "/api/v1/lots").await.body["total"].clone();
    let post = |path: &str| app.request(Method::POST, path).bearer_auth(&owner);
    let json_body = |path: &str, body: &str| {
        post(path)
            .header("content-type", "application/json")
            .body(body.to_owned())
    };
    let cases = [
        (
            "not JSON",
            json_body("/api/v1/lots", "{\"ingredient_id\": 1,"),
            400,
            "malformed",
        ),
        (
            "no content type",
            post("/api/v1/lots").body("{}"),
            415,
            "unsupported_media_type",
        ),
        (
            "a wrong type",
            json_body("/api/v1/batches", r#"{"recipe_id": "one"}"#),
            422,
            "invalid",
        ),
        (
            "an unknown field",
            json_body(
                "/api/v1/batches",
                r#"{"recipe_id": 1, "organization_id": 2}"#,
            ),
            422,
            "invalid",
        ),
        (
            "a missing field",
            json_body("/api/v1/batches", "{}"),
            422,
            "invalid",
        ),
        (
            "an absurd number",
            json_body("/api/v1/batches", r#"{"recipe_id": 1, "scale": 1e300}"#),
            422,
            "invalid",
        ),
        (
            "a scale beyond reason",
            json_body(
                "/api/v1/batches",
                r#"{"recipe_id": 1, "scale": "2000000000"}"#,
            ),
            422,
            "invalid",
        ),
        (
            "an id beyond i64",
            json_body("/api/v1/batches", r#"{"recipe_id": 99999999999999999999}"#),
            422,
            "invalid",
        ),
        (
            "a negative quantity",
            json_body(
                "/api/v1/lots",
                r#"{"ingredient_id": 1, "lot_number": "N", "quantity": "-5", "unit_id": 6,
                    "cost_per_unit": "1", "received_on": "2026-11-30"}"#,
            ),
            422,
            "invalid",
        ),
        (
            "a date of another millennium",
            json_body(
                "/api/v1/lots",
                r#"{"ingredient_id": 1, "lot_number": "N", "quantity": "5", "unit_id": 6,
                    "cost_per_unit": "1", "received_on": "9999-01-01"}"#,
            ),
            422,
            "invalid",
        ),
        (
            "a huge body",
            json_body(
                "/api/v1/lots",
                &format!("{{\"lot_number\": \"{}\"}}", "x".repeat(200_000)),
            ),
            413,
            "too_large",
        ),
        (
            "an id that is not a number",
            app.request(Method::GET, "/api/v1/lots/abc")
                .bearer_auth(&owner),
            400,
            "malformed",
        ),
        (
            "a limit out of range",
            app.request(Method::GET, "/api/v1/lots?limit=0")
                .bearer_auth(&owner),
            422,
            "invalid",
        ),
        (
            "an unknown query parameter",
            app.request(Method::GET, "/api/v1/batches?state=open")
                .bearer_auth(&owner),
            400,
            "malformed",
        ),
        (
            "a method the route lacks",
            app.request(Method::PUT, "/api/v1/lots").bearer_auth(&owner),
            405,
            "method_not_allowed",
        ),
        (
            "a route that does not exist",
            app.request(Method::GET, "/api/v1/nothing")
                .bearer_auth(&owner),
            404,
            "no_route",
        ),
        (
            "a bad idempotency key",
            json_body("/api/v1/batches", r#"{"recipe_id": 1}"#)
                .header("idempotency-key", "x".repeat(300)),
            400,
            "malformed",
        ),
        (
            "a malformed token",
            app.request(Method::GET, "/api/v1/lots")
                .bearer_auth("x".repeat(300)),
            401,
            "invalid_credentials",
        ),
    ];
    for (what, request, status, code) in cases {
        let again = request.try_clone().expect("a body in memory");
        // A server that answers 413 before reading a body closes the
        // connection with the body unread, and the peer's reset can
        // reach the client before the answer does: sent again, it is the
        // answer that counts.
        let mut sent = request.send().await;
        for _ in 0..2 {
            if sent.is_ok() {
                break;
            }
            sent = again.try_clone().expect("a body in memory").send().await;
        }
        let got = read(sent.unwrap_or_else(|error| panic!("{what}: {error}"))).await;
        assert_eq!(got.status.as_u16(), status, "{what}: {}", got.body);
        assert_eq!(got.body["code"], code, "{what}: {}", got.body);
        assert!(
            got.headers.get("x-request-id").is_some(),
            "{what}: the answer carries a request id"
        );
    }
    let after = app.get(&owner, "/api/v1/lots").await.body["total"].clone();
    assert_eq!(after, before, "nothing was received");
    let health = answer(app.request(Method::GET, "/health")).await;
    assert_eq!(
        health.body,
        json!({"status": "ok", "database": app.backend})
    );
}

crate::served!(malformed_input_is_a_4xx_problem);
