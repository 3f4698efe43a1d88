//! Checking the `Stripe-Signature` header of a webhook request.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Checks that a webhook request comes from Stripe, recently.
///
/// Holds the endpoint's signing secrets (`whsec_...`, used as given, prefix
/// included, as Stripe does) and the timestamp tolerance. Several secrets
/// are accepted at once so that a secret can be rolled without refusing
/// events signed with the old one in the meantime. `Debug` never shows the
/// secrets.
#[derive(Clone)]
pub struct WebhookVerifier {
    secrets: Vec<Vec<u8>>,
    tolerance: Duration,
}

impl WebhookVerifier {
    /// The default timestamp tolerance, Stripe's own: 300 seconds either way.
    pub const DEFAULT_TOLERANCE: Duration = Duration::seconds(300);

    /// A verifier for one signing secret, with the default tolerance.
    ///
    /// An empty secret matches nothing, so that a missing configuration
    /// value refuses every request ([`WebhookError::NoSecret`]) rather than
    /// accepting signatures made with an empty key.
    #[must_use]
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        Self {
            secrets: Vec::new(),
            tolerance: Self::DEFAULT_TOLERANCE,
        }
        .with_secret(secret)
    }

    /// Also accept signatures made with this secret, during a rotation.
    #[must_use]
    pub fn with_secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        let secret = secret.as_ref();
        if !secret.is_empty() {
            self.secrets.push(secret.to_vec());
        }
        self
    }

    /// Accept timestamps this far from `now`, in the past or the future
    /// (clock skew). A negative tolerance counts as its absolute value.
    #[must_use]
    pub fn with_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance.abs();
        self
    }

    /// The timestamp tolerance in use.
    #[must_use]
    pub const fn tolerance(&self) -> Duration {
        self.tolerance
    }

    /// Checks a request: `header` is the `Stripe-Signature` header, `raw_body`
    /// the body exactly as received (before any JSON parsing), `now` the
    /// current time.
    ///
    /// The header is `t=<unix seconds>,v1=<hex>[,v1=<hex>...]`, with other
    /// schemes (`v0`) ignored, in any order and with spaces around items
    /// tolerated. The request is accepted when any `v1` value is the
    /// HMAC-SHA256 of `"{t}.{raw_body}"` under any of the secrets, and `t`
    /// is within the tolerance of `now`. Signatures are compared in constant
    /// time.
    ///
    /// # Errors
    ///
    /// A [`WebhookError`] saying which check failed; it never contains the
    /// secrets nor the expected signature.
    pub fn verify(
        &self,
        header: &str,
        raw_body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), WebhookError> {
        let header = Header::parse(header)?;
        if self.secrets.is_empty() {
            return Err(WebhookError::NoSecret);
        }
        let sent_at = DateTime::<Utc>::from_timestamp(header.timestamp, 0)
            .ok_or(WebhookError::Timestamp)?;
        let skew = now.signed_duration_since(sent_at);
        if skew > self.tolerance || skew < -self.tolerance {
            return Err(WebhookError::Timestamp);
        }

        // One MAC per secret, then constant-time comparisons against each
        // candidate: the cost does not grow with the number of `v1` values
        // times the body size, however many values a forger sends.
        let signed_prefix = format!("{}.", header.timestamp);
        let mut matched = subtle::Choice::from(0);
        for secret in &self.secrets {
            // HMAC takes keys of any length, so this never fails.
            let Ok(mac) = Hmac::<Sha256>::new_from_slice(secret) else {
                continue;
            };
            let expected = mac
                .chain_update(signed_prefix.as_bytes())
                .chain_update(raw_body)
                .finalize()
                .into_bytes();
            for candidate in &header.v1 {
                matched |= expected.as_slice().ct_eq(candidate);
            }
        }
        if bool::from(matched) {
            Ok(())
        } else {
            Err(WebhookError::SignatureMismatch)
        }
    }
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("secrets", &"REDACTED")
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

/// Why a webhook request was refused.
///
/// Messages name the failed check only; answer all of them with the same
/// 400 so that a forger learns nothing, and log the variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The `Stripe-Signature` header is absent or empty.
    #[error("missing Stripe-Signature header")]
    MissingHeader,
    /// The header is not a list of `key=value` items with one numeric `t`.
    #[error("malformed Stripe-Signature header: {0}")]
    MalformedHeader(&'static str),
    /// The header carries no `v1` signature.
    #[error("no v1 signature in the Stripe-Signature header")]
    NoSignature,
    /// The timestamp is further from now than the tolerance, either way.
    #[error("Stripe-Signature timestamp outside the tolerance")]
    Timestamp,
    /// No `v1` signature matches any secret.
    #[error("Stripe-Signature does not match")]
    SignatureMismatch,
    /// No (non-empty) secret is configured, so nothing can be verified.
    #[error("no webhook signing secret is configured")]
    NoSecret,
}

/// The parts of a `Stripe-Signature` header that matter.
#[derive(Debug)]
struct Header {
    timestamp: i64,
    /// Decoded `v1` values; values that are not hex cannot match and are
    /// dropped.
    v1: Vec<Vec<u8>>,
}

impl Header {
    fn parse(header: &str) -> Result<Self, WebhookError> {
        if header.trim().is_empty() {
            return Err(WebhookError::MissingHeader);
        }
        let mut timestamp = None;
        let mut v1 = Vec::new();
        let mut saw_v1 = false;
        for item in header.split(',').map(str::trim) {
            if item.is_empty() {
                continue;
            }
            let (key, value) = item
                .split_once('=')
                .ok_or(WebhookError::MalformedHeader("an item is not key=value"))?;
            match key.trim() {
                "t" => {
                    let t = value
                        .trim()
                        .parse::<i64>()
                        .map_err(|_| WebhookError::MalformedHeader("t is not a number"))?;
                    if timestamp.replace(t).is_some() {
                        return Err(WebhookError::MalformedHeader("more than one t"));
                    }
                }
                "v1" => {
                    saw_v1 = true;
                    if let Ok(bytes) = hex::decode(value.trim()) {
                        v1.push(bytes);
                    }
                }
                _ => {}
            }
        }
        let timestamp = timestamp.ok_or(WebhookError::MalformedHeader("no t"))?;
        if !saw_v1 {
            return Err(WebhookError::NoSignature);
        }
        Ok(Self { timestamp, v1 })
    }
}

#[cfg(test)]
mod tests {
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
        assert_eq!(verifier().verify(&header, BODY, now()), Err(WebhookError::Timestamp));
        let edge = T - 300;
        let header = format!("t={edge},v1={}", sign(SECRET, edge, BODY));
        assert_eq!(verifier().verify(&header, BODY, now()), Ok(()));
    }

    #[test]
    fn a_timestamp_in_the_future_beyond_the_tolerance_is_refused() {
        let future = T + 301;
        let header = format!("t={future},v1={}", sign(SECRET, future, BODY));
        assert_eq!(verifier().verify(&header, BODY, now()), Err(WebhookError::Timestamp));
    }

    #[test]
    fn the_tolerance_can_be_configured() {
        let strict = verifier().with_tolerance(Duration::seconds(-10));
        assert_eq!(strict.tolerance(), Duration::seconds(10));
        let t = T - 11;
        let header = format!("t={t},v1={}", sign(SECRET, t, BODY));
        assert_eq!(strict.verify(&header, BODY, now()), Err(WebhookError::Timestamp));
    }

    #[test]
    fn timestamps_beyond_the_calendar_are_refused_without_panicking() {
        for t in [i64::MAX, i64::MIN] {
            let header = format!("t={t},v1={}", sign(SECRET, T, BODY));
            assert_eq!(verifier().verify(&header, BODY, now()), Err(WebhookError::Timestamp));
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
            assert_eq!(verifier().verify(&header, BODY, now()), Err(error), "{header:?}");
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
}
