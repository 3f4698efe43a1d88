use super::*;
use serde_json::json;

fn parse(value: serde_json::Value) -> Result<Event, EventError> {
    Event::parse(value.to_string().as_bytes())
}

fn event(event_type: &str, object: serde_json::Value) -> serde_json::Value {
    json!({
        "id": "evt_1",
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": 1_700_000_000,
        "livemode": false,
        "data": { "object": object, "previous_attributes": {} },
        "type": event_type,
    })
}

fn subscription(extra: serde_json::Value) -> serde_json::Value {
    let mut object = json!({
        "id": "sub_1",
        "object": "subscription",
        "customer": "cus_1",
        "status": "active",
        "metadata": {},
        "items": { "object": "list", "data": [
            { "id": "si_1", "price": { "id": "price_1", "lookup_key": "team_monthly" } }
        ] },
    });
    if let (Some(object), Some(extra)) = (object.as_object_mut(), extra.as_object()) {
        object.extend(extra.clone());
    }
    object
}

#[test]
fn a_subscription_update_is_read_with_its_status_customer_and_tier() {
    let e = parse(event(
        SUBSCRIPTION_UPDATED,
        subscription(json!({"status": "past_due"})),
    ))
    .unwrap();
    assert_eq!(e.id, "evt_1");
    assert_eq!(e.created.timestamp(), 1_700_000_000);
    assert_eq!(e.event_type(), SUBSCRIPTION_UPDATED);
    assert_eq!(e.customer_id(), Some("cus_1"));
    assert_eq!(e.subscription_id(), Some("sub_1"));
    let EventKind::SubscriptionUpdated(s) = e.kind else {
        panic!("{:?}", e.kind)
    };
    assert_eq!(s.status, SubscriptionStatus::PastDue);
    assert_eq!(s.tier.as_deref(), Some("team_monthly"));
}

#[test]
fn the_tier_comes_from_metadata_before_the_price_lookup_key() {
    let read = |extra| match parse(event(SUBSCRIPTION_CREATED, subscription(extra)))
        .unwrap()
        .kind
    {
        EventKind::SubscriptionCreated(s) => s.tier,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        read(json!({"metadata": {"tier": "pro"}})).as_deref(),
        Some("pro")
    );
    assert_eq!(
        read(json!({"metadata": {"tier": " "}})).as_deref(),
        Some("team_monthly")
    );
    assert_eq!(read(json!({"items": {"data": []}})), None);
    assert_eq!(read(json!({"items": null, "metadata": null})), None);
    assert_eq!(
        read(json!({"items": {"data": [{"price": {"lookup_key": null}}]}})),
        None
    );
}

#[test]
fn an_expanded_customer_object_is_read_as_its_id() {
    let e = parse(event(
        SUBSCRIPTION_DELETED,
        subscription(
            json!({"customer": {"id": "cus_9", "object": "customer"}, "status": "canceled"}),
        ),
    ))
    .unwrap();
    assert_eq!(e.customer_id(), Some("cus_9"));
    assert!(matches!(e.kind, EventKind::SubscriptionDeleted(_)));
}

#[test]
fn invoices_name_their_subscription_in_old_and_new_api_versions() {
    let new = json!({"id": "in_1", "customer": "cus_1", "parent": {"type": "subscription_details", "subscription_details": {"subscription": "sub_new"}}});
    let old = json!({"id": "in_1", "customer": "cus_1", "subscription": "sub_old"});
    let none = json!({"id": "in_1", "customer": null, "subscription": null, "parent": null});
    let paid = parse(event(INVOICE_PAID, new)).unwrap();
    assert!(matches!(paid.kind, EventKind::InvoicePaid(_)));
    assert_eq!(paid.subscription_id(), Some("sub_new"));
    let failed = parse(event(INVOICE_PAYMENT_FAILED, old)).unwrap();
    assert!(matches!(failed.kind, EventKind::InvoicePaymentFailed(_)));
    assert_eq!(failed.subscription_id(), Some("sub_old"));
    let one_off = parse(event(INVOICE_PAID, none)).unwrap();
    assert_eq!(
        (one_off.customer_id(), one_off.subscription_id()),
        (None, None)
    );
}

#[test]
fn an_unknown_event_type_is_kept_as_other_not_refused() {
    let e = parse(event(
        "charge.refunded",
        json!({"id": "ch_1", "anything": [1, 2]}),
    ))
    .unwrap();
    assert_eq!(e.kind, EventKind::Other("charge.refunded".to_owned()));
    assert_eq!(e.event_type(), "charge.refunded");
    assert_eq!((e.customer_id(), e.subscription_id()), (None, None));
}

#[test]
fn malformed_json_is_an_error_not_a_panic() {
    for body in [
        &b""[..],
        b"{",
        b"null",
        b"[]",
        b"\xff\xfe",
        br#"{"id":"evt_1"}"#,
        br#"{"id":1,"type":"x","created":0,"data":{"object":{}}}"#,
    ] {
        assert!(
            matches!(Event::parse(body), Err(EventError::NotAnEvent(_))),
            "{body:?}"
        );
    }
}

#[test]
fn a_known_event_with_the_wrong_object_is_a_payload_error() {
    for object in [
        json!({}),
        json!({"id": "sub_1", "customer": "cus_1", "status": "frozen"}),
        json!("sub_1"),
        json!({"id": "sub_1", "customer": 7, "status": "active"}),
    ] {
        let err = parse(event(SUBSCRIPTION_UPDATED, object)).unwrap_err();
        assert!(
            matches!(
                err,
                EventError::Payload {
                    event_type: SUBSCRIPTION_UPDATED,
                    ..
                }
            ),
            "{err:?}"
        );
    }
    let err = parse(event(INVOICE_PAID, json!({"customer": "cus_1"}))).unwrap_err();
    assert!(matches!(
        err,
        EventError::Payload {
            event_type: INVOICE_PAID,
            ..
        }
    ));
}

#[test]
fn a_created_time_beyond_the_calendar_is_an_error() {
    let mut value = event("ping", json!({}));
    value["created"] = json!(i64::MAX);
    assert!(matches!(parse(value), Err(EventError::Created)));
}
