//! Messages to people outside the request: invitations. An invitation's
//! token must reach the invitee only (whoever holds it may create the
//! account of its email), so the API never answers it to the inviter; it
//! goes to the [`Outbox`].
//!
//! BatchTrack sends no email itself: the default outbox writes the
//! message to the log, for a person running the app to pass on, and a
//! deployment puts its mailer behind the trait.

use std::sync::{Arc, Mutex};

/// A message to one address.
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    /// Whom it is for.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The text, with the secret (an invitation token) in it.
    pub body: String,
}

impl Message {
    /// The message that carries an invitation's token to its email.
    #[must_use]
    pub fn invitation(invitation: &tenancy_access::Invitation, token: &str) -> Self {
        Self {
            to: invitation.email.clone(),
            subject: "You are invited to BatchTrack".into(),
            body: format!(
                "Accept with POST /api/v1/auth/accept-invitation and the token {token} \
                 (valid until {}).",
                invitation.expires_at
            ),
        }
    }
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("body", &"REDACTED")
            .finish()
    }
}

/// Where messages go.
pub trait Outbox: Send + Sync + std::fmt::Debug + 'static {
    /// Sends `message`, or queues it; failures are the outbox's to log.
    fn send(&self, message: Message);
}

/// The outbox that writes each message to the log, at `info`.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogOutbox;

impl Outbox for LogOutbox {
    fn send(&self, message: Message) {
        tracing::info!(
            to = %message.to,
            subject = %message.subject,
            body = %message.body,
            "a message to pass on (BatchTrack sends no email)"
        );
    }
}

/// An outbox that keeps what it was given, for tests and for a mailer
/// that drains it.
#[derive(Debug, Clone, Default)]
pub struct MemoryOutbox {
    sent: Arc<Mutex<Vec<Message>>>,
}

impl MemoryOutbox {
    /// The messages so far, oldest first.
    #[must_use]
    pub fn sent(&self) -> Vec<Message> {
        self.sent
            .lock()
            .map(|sent| sent.clone())
            .unwrap_or_default()
    }
}

impl Outbox for MemoryOutbox {
    fn send(&self, message: Message) {
        if let Ok(mut sent) = self.sent.lock() {
            sent.push(message);
        }
    }
}
