use super::*;

const SECRET: &str = "whsec_test_secret";
const BODY: &[u8] = br#"{"id":"evt_1","type":"invoice.paid"}"#;
const T: i64 = 1_700_000_000;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(T, 0).unwrap()
}

fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn verifier() -> WebhookVerifier {
    WebhookVerifier::new(SECRET)
}

#[test]
fn a_correctly_signed_request_is_accepted() {
    let header = format!("t={T},v1={}", sign(SECRET, T, BODY));
    assert_eq!(verifier().verify(&header, BODY, now()), Ok(()));
}

#[test]
fn any_order_spaces_and_unknown_schemes_are_tolerated() {
    let header = format!(" v0=abc , v1 = {} ,t= {T},x=y,", sign(SECRET, T, BODY));
    assert_eq!(verifier().verify(&header, BODY, now()), Ok(()));
}

#[test]
fn one_valid_v1_among_several_is_enough() {
    let header = format!(
        "t={T},v1={},v1=zz-not-hex,v1={}",
        sign("whsec_other", T, BODY),
        sign(SECRET, T, BODY)
    );
    assert_eq!(verifier().verify(&header, BODY, now()), Ok(()));
}

#[test]
fn a_signature_made_with_the_second_secret_is_accepted_during_rotation() {
    let rotated = WebhookVerifier::new("whsec_old").with_secret(SECRET);
    let header = format!("t={T},v1={}", sign(SECRET, T, BODY));
    assert_eq!(rotated.verify(&header, BODY, now()), Ok(()));
}

#[test]
fn a_signature_made_with_another_secret_is_refused() {
    let header = format!("t={T},v1={}", sign("whsec_attacker", T, BODY));
    assert_eq!(
        verifier().verify(&header, BODY, now()),
        Err(WebhookError::SignatureMismatch)
    );
}

#[test]
fn a_tampered_body_is_refused() {
    let header = format!("t={T},v1={}", sign(SECRET, T, BODY));
    let tampered = br#"{"id":"evt_1","type":"invoice.paid "}"#;
    assert_eq!(
        verifier().verify(&header, tampered, now()),
        Err(WebhookError::SignatureMismatch)
    );
}

#[test]
fn a_signature_over_another_timestamp_is_refused() {
    let header = format!("t={},v1={}", T + 1, sign(SECRET, T, BODY));
    assert_eq!(
        verifier().verify(&header, BODY, now()),
        Err(WebhookError::SignatureMismatch)
    );
}

#[test]
fn a_timestamp_older_than_the_tolerance_is_refused() {
    let old = T - 301;
    let header = format!("t={old},v1={}", sign(SECRET, old, BODY));
    assert_eq!(
        verifier().verify(&header, BODY, now()),
        Err(WebhookError::Timestamp)
    );
    let edge = T - 300;
    let header = format!("t={edge},v1={}", sign(SECRET, edge, BODY));
    assert_eq!(verifier().verify(&header, BODY, now()), Ok(()));
}

#[test]
fn a_timestamp_in_the_future_beyond_the_tolerance_is_refused() {
    let future = T + 301;
    let header = format!("t={future},v1={}", sign(SECRET, future, BODY));
    assert_eq!(
        verifier().verify(&header, BODY, now()),
        Err(WebhookError::Timestamp)
    );
}

#[test]
fn the_tolerance_can_be_configured() {
    let strict = verifier().with_tolerance(Duration::seconds(-10));
    assert_eq!(strict.tolerance(), Duration::seconds(10));
    let t = T - 11;
    let header = format!("t={t},v1={}", sign(SECRET, t, BODY));
    assert_eq!(
        strict.verify(&header, BODY, now()),
        Err(WebhookError::Timestamp)
    );
}

#[test]
fn timestamps_beyond_the_calendar_are_refused_without_panicking() {
    for t in [i64::MAX, i64::MIN] {
        let header = format!("t={t},v1={}", sign(SECRET, T, BODY));
        assert_eq!(
            verifier().verify(&header, BODY, now()),
            Err(WebhookError::Timestamp)
        );
    }
}

#[test]
fn missing_header_parts_are_reported() {
    let sig = sign(SECRET, T, BODY);
    let cases = [
        (String::new(), WebhookError::MissingHeader),
        ("  ".to_owned(), WebhookError::MissingHeader),
        (format!("v1={sig}"), WebhookError::MalformedHeader("no t")),
        (format!("t={T}"), WebhookError::NoSignature),
        (format!("t={T},v0={sig}"), WebhookError::NoSignature),
    ];
    for (header, error) in cases {
        assert_eq!(
            verifier().verify(&header, BODY, now()),
            Err(error),
            "{header:?}"
        );
    }
}

#[test]
fn garbage_headers_are_refused_without_panicking() {
    let sig = sign(SECRET, T, BODY);
    for header in [
        "garbage".to_owned(),
        "t=abc,v1=00".to_owned(),
        format!("t={T},t={T},v1={sig}"),
        format!("t={T};v1={sig}"),
        "=,=,=".to_owned(),
        "t=,v1=".to_owned(),
        "\u{0}t=1\u{ffff},v1=é".to_owned(),
    ] {
        assert!(
            matches!(
                verifier().verify(&header, BODY, now()),
                Err(WebhookError::MalformedHeader(_))
            ),
            "{header:?}"
        );
    }
}

#[test]
fn non_hex_or_truncated_signatures_do_not_match() {
    let sig = sign(SECRET, T, BODY);
    for v1 in ["not-hex", &sig[..62], &sig[..63], "", &format!("{sig}00")] {
        let header = format!("t={T},v1={v1}");
        assert_eq!(
            verifier().verify(&header, BODY, now()),
            Err(WebhookError::SignatureMismatch),
            "{v1:?}"
        );
    }
}

#[test]
fn an_empty_secret_refuses_everything() {
    let header = format!("t={T},v1={}", sign("", T, BODY));
    assert_eq!(
        WebhookVerifier::new("").verify(&header, BODY, now()),
        Err(WebhookError::NoSecret)
    );
}

#[test]
fn neither_debug_nor_errors_reveal_the_secret() {
    let debug = format!("{:?}", verifier().with_secret("whsec_second"));
    assert!(debug.contains("REDACTED"));
    assert!(!debug.contains("whsec"), "{debug}");
    let header = format!("t={T},v1={}", sign("whsec_attacker", T, BODY));
    let err = verifier().verify(&header, BODY, now()).unwrap_err();
    assert!(!err.to_string().contains("whsec"));
    assert!(!format!("{err:?}").contains(&sign(SECRET, T, BODY)));
}
