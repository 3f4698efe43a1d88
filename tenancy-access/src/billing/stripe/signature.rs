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
        let sent_at =
            DateTime::<Utc>::from_timestamp(header.timestamp, 0).ok_or(WebhookError::Timestamp)?;
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
mod tests;
