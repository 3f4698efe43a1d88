use chrono::Duration;
use serde_json::json;

use super::*;
use crate::billing::stripe::{Event, WebhookVerifier};
use crate::billing::{Access, BillingPolicy, Standing};
use SubscriptionStatus as S;

const T0: i64 = 1_700_000_000;

fn at(offset: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(T0 + offset, 0).unwrap()
}

fn body(event_type: &str, created: i64, object: serde_json::Value) -> Vec<u8> {
    json!({
        "id": format!("evt_{event_type}_{created}"),
        "object": "event",
        "created": T0 + created,
        "data": { "object": object },
        "type": event_type,
    })
    .to_string()
    .into_bytes()
}

fn sub_event(event_type: &str, sub: &str, status: S, created: i64) -> Event {
    let object = json!({
        "id": sub,
        "customer": "cus_1",
        "status": status.as_str(),
        "items": { "data": [ { "price": { "lookup_key": "team" } } ] },
    });
    Event::parse(&body(event_type, created, object)).unwrap()
}

fn updated(sub: &str, status: S, created: i64) -> Event {
    sub_event("customer.subscription.updated", sub, status, created)
}

fn invoice(event_type: &str, sub: Option<&str>, created: i64) -> Event {
    let object = json!({ "id": "in_1", "customer": "cus_1", "subscription": sub });
    Event::parse(&body(event_type, created, object)).unwrap()
}

/// An organization following `sub_1` in `status`, last event at `T0`.
fn following(status: S) -> BillingState {
    let mut state = BillingState::new("team");
    state.status = Some(status);
    state.stripe_customer_id = Some("cus_1".to_owned());
    state.stripe_subscription_id = Some("sub_1".to_owned());
    state.delinquent_since = (!status.is_paying()).then(|| at(0));
    state.last_event_at = Some(at(0));
    state
}

#[track_caller]
fn applied(state: &BillingState, event: &Event) -> BillingState {
    match state.apply(event) {
        Transition::Applied(next) => next,
        Transition::Ignored(why) => panic!("ignored: {why:?}"),
    }
}

#[track_caller]
fn ignored(state: &BillingState, event: &Event) -> Ignored {
    match state.apply(event) {
        Transition::Ignored(why) => why,
        Transition::Applied(next) => panic!("applied: {next:?}"),
    }
}

#[test]
fn a_new_active_subscription_is_adopted_by_an_organization_without_one() {
    let free = BillingState::new("free");
    let next = applied(
        &free,
        &sub_event("customer.subscription.created", "sub_1", S::Active, 5),
    );
    assert_eq!(next.status, Some(S::Active));
    assert_eq!(next.tier, "team");
    assert_eq!(next.stripe_customer_id.as_deref(), Some("cus_1"));
    assert_eq!(next.stripe_subscription_id.as_deref(), Some("sub_1"));
    assert_eq!(next.delinquent_since, None);
    assert_eq!(next.last_event_at, Some(at(5)));
}

#[test]
fn an_unpaid_new_subscription_is_not_adopted() {
    let free = BillingState::new("free");
    for status in [S::Incomplete, S::IncompleteExpired, S::PastDue, S::Canceled] {
        let event = sub_event("customer.subscription.created", "sub_1", status, 5);
        assert_eq!(ignored(&free, &event), Ignored::NotFollowed, "{status}");
    }
    let active = following(S::Active);
    assert_eq!(
        ignored(&active, &updated("sub_2", S::Incomplete, 5)),
        Ignored::NotFollowed
    );
}

#[test]
fn past_due_starts_the_grace_clock_at_the_event_time() {
    let next = applied(&following(S::Active), &updated("sub_1", S::PastDue, 60));
    assert_eq!(next.status, Some(S::PastDue));
    assert_eq!(next.delinquent_since, Some(at(60)));
}

#[test]
fn moving_on_from_past_due_keeps_the_grace_clock() {
    let past_due = applied(&following(S::Active), &updated("sub_1", S::PastDue, 60));
    let unpaid = applied(&past_due, &updated("sub_1", S::Unpaid, 120));
    assert_eq!(unpaid.delinquent_since, Some(at(60)));
    let canceled = applied(
        &unpaid,
        &sub_event("customer.subscription.deleted", "sub_1", S::Canceled, 180),
    );
    assert_eq!(canceled.status, Some(S::Canceled));
    assert_eq!(canceled.delinquent_since, Some(at(60)));
}

#[test]
fn paying_again_clears_the_grace_clock() {
    for status in [S::Active, S::Trialing] {
        let next = applied(&following(S::PastDue), &updated("sub_1", status, 60));
        assert_eq!((next.status, next.delinquent_since), (Some(status), None));
    }
}

#[test]
fn deletion_cancels_whatever_status_the_payload_carries() {
    let event = sub_event("customer.subscription.deleted", "sub_1", S::Active, 60);
    let next = applied(&following(S::Active), &event);
    assert_eq!(next.status, Some(S::Canceled));
    assert_eq!(next.delinquent_since, Some(at(60)));
}

#[test]
fn a_failed_payment_puts_a_paying_subscription_past_due() {
    for status in [S::Active, S::Trialing] {
        let next = applied(
            &following(status),
            &invoice("invoice.payment_failed", Some("sub_1"), 60),
        );
        assert_eq!(next.status, Some(S::PastDue));
        assert_eq!(next.delinquent_since, Some(at(60)));
        assert_eq!(next.last_event_at, Some(at(60)));
    }
}

#[test]
fn another_failed_payment_keeps_the_first_failure_as_grace_start() {
    for status in [S::PastDue, S::Unpaid, S::Incomplete, S::Paused] {
        let next = applied(
            &following(status),
            &invoice("invoice.payment_failed", Some("sub_1"), 60),
        );
        assert_eq!(next.status, Some(status));
        assert_eq!(next.delinquent_since, Some(at(0)));
        assert_eq!(next.last_event_at, Some(at(60)));
    }
}

#[test]
fn a_paid_invoice_reactivates_an_overdue_subscription() {
    for status in [S::PastDue, S::Unpaid, S::Incomplete] {
        let next = applied(
            &following(status),
            &invoice("invoice.paid", Some("sub_1"), 60),
        );
        assert_eq!(
            (next.status, next.delinquent_since),
            (Some(S::Active), None),
            "{status}"
        );
    }
}

#[test]
fn a_paid_invoice_leaves_other_statuses_alone_but_records_its_time() {
    for status in [S::Active, S::Trialing, S::Paused] {
        let before = following(status);
        let next = applied(&before, &invoice("invoice.paid", Some("sub_1"), 60));
        assert_eq!(next.status, before.status);
        assert_eq!(next.delinquent_since, before.delinquent_since);
        assert_eq!(next.last_event_at, Some(at(60)));
    }
}

#[test]
fn an_older_event_is_a_no_op() {
    let paid = applied(
        &following(S::PastDue),
        &invoice("invoice.paid", Some("sub_1"), 100),
    );
    assert_eq!(
        ignored(&paid, &updated("sub_1", S::PastDue, 50)),
        Ignored::Stale
    );
    assert_eq!(
        ignored(&paid, &invoice("invoice.payment_failed", Some("sub_1"), 99)),
        Ignored::Stale
    );
}

#[test]
fn an_event_of_the_same_second_applies() {
    let next = applied(&following(S::Active), &updated("sub_1", S::PastDue, 0));
    assert_eq!(next.status, Some(S::PastDue));
}

#[test]
fn incomplete_never_overrides_a_later_status_even_in_the_same_second() {
    let created = sub_event("customer.subscription.created", "sub_1", S::Incomplete, 0);
    assert_eq!(ignored(&following(S::Active), &created), Ignored::Stale);
    let still = applied(
        &following(S::Incomplete),
        &updated("sub_1", S::Incomplete, 0),
    );
    assert_eq!(still.status, Some(S::Incomplete));
}

#[test]
fn events_about_an_ended_subscription_change_nothing() {
    for status in [S::Canceled, S::IncompleteExpired] {
        let ended = following(status);
        assert_eq!(
            ignored(&ended, &updated("sub_1", S::Active, 60)),
            Ignored::Ended
        );
        assert_eq!(
            ignored(&ended, &invoice("invoice.paid", Some("sub_1"), 60)),
            Ignored::Ended
        );
    }
}

#[test]
fn a_new_paid_subscription_replaces_an_ended_one_even_if_its_event_is_older() {
    let canceled = applied(
        &following(S::Active),
        &sub_event("customer.subscription.deleted", "sub_1", S::Canceled, 100),
    );
    let next = applied(
        &canceled,
        &sub_event("customer.subscription.created", "sub_2", S::Trialing, 90),
    );
    assert_eq!(next.stripe_subscription_id.as_deref(), Some("sub_2"));
    assert_eq!(
        (next.status, next.delinquent_since),
        (Some(S::Trialing), None)
    );
}

#[test]
fn a_newer_paid_subscription_replaces_a_live_one() {
    let next = applied(&following(S::PastDue), &updated("sub_2", S::Active, 10));
    assert_eq!(next.stripe_subscription_id.as_deref(), Some("sub_2"));
    assert_eq!(next.status, Some(S::Active));
}

#[test]
fn a_late_event_about_a_replaced_subscription_is_ignored() {
    let replaced = applied(&following(S::Active), &updated("sub_2", S::Active, 100));
    assert_eq!(
        ignored(&replaced, &updated("sub_1", S::Active, 50)),
        Ignored::Stale
    );
    let deleted = sub_event("customer.subscription.deleted", "sub_1", S::Canceled, 150);
    assert_eq!(ignored(&replaced, &deleted), Ignored::NotFollowed);
    assert_eq!(
        ignored(
            &replaced,
            &invoice("invoice.payment_failed", Some("sub_1"), 150)
        ),
        Ignored::NotFollowed
    );
}

#[test]
fn invoices_without_the_followed_subscription_are_ignored() {
    let state = following(S::Active);
    assert_eq!(
        ignored(&state, &invoice("invoice.payment_failed", None, 60)),
        Ignored::NotFollowed
    );
    assert_eq!(
        ignored(&state, &invoice("invoice.paid", Some("sub_9"), 60)),
        Ignored::NotFollowed
    );
    let free = BillingState::new("free");
    assert_eq!(
        ignored(&free, &invoice("invoice.paid", None, 60)),
        Ignored::NotFollowed
    );
}

#[test]
fn an_event_about_another_customer_is_ignored() {
    let mut state = following(S::PastDue);
    state.stripe_customer_id = Some("cus_other".to_owned());
    assert_eq!(
        ignored(&state, &updated("sub_1", S::Active, 60)),
        Ignored::OtherCustomer
    );
    assert_eq!(
        ignored(&state, &invoice("invoice.paid", Some("sub_1"), 60)),
        Ignored::OtherCustomer
    );
}

#[test]
fn an_unknown_event_type_is_ignored() {
    let event = Event::parse(&body("charge.refunded", 60, json!({"id": "ch_1"}))).unwrap();
    assert_eq!(ignored(&following(S::Active), &event), Ignored::EventType);
}

#[test]
fn the_tier_is_kept_when_the_event_names_none() {
    let object = json!({ "id": "sub_1", "customer": "cus_1", "status": "active" });
    let event = Event::parse(&body("customer.subscription.updated", 60, object)).unwrap();
    let mut state = following(S::Active);
    state.tier = "enterprise".to_owned();
    assert_eq!(applied(&state, &event).tier, "enterprise");
}

#[test]
fn a_verified_payment_failure_shuts_members_out_once_grace_is_over() {
    let secret = "whsec_test";
    let raw = body(
        "invoice.payment_failed",
        0,
        json!({ "id": "in_1", "customer": "cus_1", "subscription": "sub_1" }),
    );
    let mut mac =
        <hmac::Hmac<sha2::Sha256> as hmac::KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    hmac::Mac::update(&mut mac, format!("{T0}.").as_bytes());
    hmac::Mac::update(&mut mac, &raw);
    let header = format!(
        "t={T0},v1={}",
        hex::encode(hmac::Mac::finalize(mac).into_bytes())
    );

    WebhookVerifier::new(secret)
        .verify(&header, &raw, at(30))
        .unwrap();
    let event = Event::parse(&raw).unwrap();
    let state = applied(&following(S::Active), &event);

    let policy = BillingPolicy::default();
    let in_grace = at(0) + Duration::days(6);
    let after = at(0) + Duration::days(7);
    assert!(matches!(
        policy.access(&state, Standing::Member, in_grace),
        Access::Grace { .. }
    ));
    assert!(matches!(
        policy.access(&state, Standing::Member, after),
        Access::Denied(_)
    ));
    assert!(matches!(
        policy.access(&state, Standing::Owner, after),
        Access::OwnerOnly(_)
    ));
    assert_eq!(
        policy.access(&state, Standing::Developer, after),
        Access::Allowed
    );
}
