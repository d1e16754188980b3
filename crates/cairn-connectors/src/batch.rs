//! What one poll brings back before anything is written: the events, what
//! they do to their contacts, and where the cursor will stand once they are
//! committed.
//!
//! Connectors only read the provider and map its data; [`crate::sync`]
//! writes a whole batch and the new cursor in one transaction. A batch that
//! is not committed (a crash, a failed write) leaves the cursor where it
//! was, so the next poll reads the same window again and the event log's
//! `(source, external_id)` key drops what was already stored.

use cairn_model::Timestamp;
use cairn_model::event::NewEvent;
use serde::{Deserialize, Serialize};

/// Where an account's sync stands, stored as JSON in `accounts.cursor`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Everything that happened up to this instant has been read. Each poll
    /// starts again a provider-specific overlap before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
    /// An opaque position a feed handed out (a next-page cursor or URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl Cursor {
    /// Reads a stored cursor. One that is not Cairn's JSON (hand-edited,
    /// or from an older build) is ignored with a warning: the poll then
    /// starts from the account's beginning, and duplicates are dropped.
    pub fn parse(stored: Option<&str>, account: &str) -> Cursor {
        match stored {
            None => Cursor::default(),
            Some(s) => serde_json::from_str(s).unwrap_or_else(|e| {
                tracing::warn!(account, error = %e, "the stored sync cursor is unreadable; reading from the account's start");
                Cursor::default()
            }),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// What an event does to its contact besides being recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactEffect {
    /// Course progress from a course platform: the contact's local
    /// enrollment row shows it (`course` is Cairn's name; 0–100).
    CourseProgress { course: String, percent: u8 },
    /// A hard bounce: the contact is marked bounced.
    Bounced,
    /// A spam complaint: the contact is unsubscribed.
    Unsubscribed,
}

/// One event as read from a provider.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    pub event: NewEvent,
    pub effect: Option<ContactEffect>,
    /// For email events: the idempotency key of the message Cairn sent (the
    /// local part of its Message-ID). At commit the outbox row it names adds
    /// `"email"` (the template) and `"workflow"` to the payload; an event
    /// about mail Cairn did not send is skipped.
    pub sent_message: Option<String>,
    /// For a bounce or complaint known only by its recipient: the latest
    /// email Cairn sent to this address stands for `sent_message`.
    pub sent_to: Option<String>,
}

impl Incoming {
    pub fn new(event: NewEvent) -> Self {
        Incoming {
            event,
            effect: None,
            sent_message: None,
            sent_to: None,
        }
    }
}

/// One poll's reading.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    pub items: Vec<Incoming>,
    /// Provider records read but not turned into events (unpaid checkouts,
    /// temporary failures, malformed feed items…), with why.
    pub ignored: Vec<String>,
    pub cursor: Cursor,
}

/// The window a poll reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// The event source, e.g. `stripe:shop`: with the provider's id, the
    /// event log's dedupe key.
    pub source: String,
    /// Read what happened at or after this instant (the cursor minus the
    /// overlap, or the account's start).
    pub since: Timestamp,
    /// Nothing before this is turned into an event: when the account was
    /// connected (a Stripe account added today does not replay last month's
    /// purchases into workflows).
    pub start: Timestamp,
    /// When the poll began.
    pub now: Timestamp,
    pub cursor: Cursor,
    /// The courses linked to the account (course platforms only; empty
    /// for every other kind).
    pub courses: Vec<cairn_store::course_platforms::CoursePlatform>,
}

impl Window {
    /// The cursor after reading up to `newest` (the latest event time seen,
    /// if any): never before where it was, and at least `now - overlap`, so
    /// a quiet account's window does not grow without end. Events later
    /// than that are re-read by the next poll's overlap.
    pub fn advance(&self, newest: Option<Timestamp>, overlap: chrono::Duration) -> Cursor {
        let floor = self.now - overlap;
        let at = [self.cursor.at, newest, Some(floor.max(self.start))]
            .into_iter()
            .flatten()
            .max();
        Cursor {
            at,
            token: self.cursor.token.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_cursor_never_moves_back_and_a_quiet_window_stays_bounded() {
        let t = |h| chrono::Utc.with_ymd_and_hms(2026, 3, 2, h, 0, 0).unwrap();
        let w = Window {
            source: "stripe:s".into(),
            since: t(8),
            start: t(1),
            now: t(10),
            cursor: Cursor {
                at: Some(t(9)),
                token: None,
            },
            courses: Vec::new(),
        };
        let hour = chrono::Duration::hours(1);
        assert_eq!(w.advance(Some(t(7)), hour).at, Some(t(9)));
        assert_eq!(w.advance(Some(t(10)), hour).at, Some(t(10)));
        assert_eq!(w.advance(None, chrono::Duration::zero()).at, Some(t(10)));
        assert_eq!(
            Cursor::parse(Some(&w.advance(None, hour).to_json()), "s").at,
            Some(t(9))
        );
        assert_eq!(Cursor::parse(Some("garbage"), "s"), Cursor::default());
    }
}
