//! Per-contact unsubscribe tokens for the mailto unsubscribe link.
//!
//! `mailto:<sender>?subject=unsubscribe%20<token>`: the token is the first
//! 16 bytes of HMAC-SHA256(key, normalized address), in hex, under this
//! database's random key (migration 0010). A message read from the sending
//! mailbox unsubscribes its sender only when its subject quotes the token
//! of that sender's address, so a forged request for someone else does
//! nothing.

use cairn_model::contact::normalize_email;
use hmac::{Hmac, Mac};
use rusqlite::Connection;
use sha2::Sha256;

use crate::Result;

/// The word an unsubscribe request's subject starts with (after `Re:`).
pub const SUBJECT_WORD: &str = "unsubscribe";

/// This database's token key.
pub fn key_using(c: &Connection) -> Result<Vec<u8>> {
    Ok(
        c.prepare_cached("SELECT key FROM unsubscribe_key WHERE singleton = 1")?
            .query_row([], |r| r.get(0))?,
    )
}

/// The token of `email` under `key` (32 hex digits); `None` for a
/// malformed address.
pub fn token(key: &[u8], email: &str) -> Option<String> {
    let (_, normalized) = normalize_email(email).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(normalized.as_bytes());
    Some(hex::encode(&mac.finalize().into_bytes()[..16]))
}

/// Whether `given` is the token of `email`, compared in constant time.
pub fn verify(key: &[u8], email: &str, given: &str) -> bool {
    let Some(want) = token(key, email) else {
        return false;
    };
    let given = given.trim().to_ascii_lowercase();
    want.len() == given.len()
        && want
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The mailto unsubscribe link of `email`'s mail from `sender`.
pub fn mailto_using(c: &Connection, sender: &str, email: &str) -> Result<String> {
    let key = key_using(c)?;
    Ok(match token(&key, email) {
        Some(t) => format!("mailto:{sender}?subject={SUBJECT_WORD}%20{t}"),
        None => format!("mailto:{sender}?subject={SUBJECT_WORD}"),
    })
}

/// The token quoted in an unsubscribe request's subject
/// (`unsubscribe <token>`, maybe after `Re:`/`Fwd:`), if it is one.
pub fn token_in_subject(subject: &str) -> Option<String> {
    let mut s = subject.trim();
    loop {
        let lower = s.to_ascii_lowercase();
        let Some(rest) = ["re:", "aw:", "fw:", "fwd:", "sv:"]
            .iter()
            .find_map(|p| lower.starts_with(p).then(|| s[p.len()..].trim_start()))
        else {
            break;
        };
        s = rest;
    }
    let mut words = s.split_whitespace();
    let first = words.next()?;
    if !first.eq_ignore_ascii_case(SUBJECT_WORD) {
        return None;
    }
    let t = words.next()?;
    (words.next().is_none() && t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| t.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_one_address_under_one_key() {
        let k1 = [1u8; 32];
        let k2 = [2u8; 32];
        let t = token(&k1, "Ada@Example.com").unwrap();
        assert_eq!(t.len(), 32);
        assert_eq!(token(&k1, "ada@example.com").unwrap(), t);
        assert!(verify(&k1, "ada@example.com", &t.to_uppercase()));
        assert!(!verify(&k1, "cy@example.com", &t));
        assert!(!verify(&k2, "ada@example.com", &t));
        assert!(!verify(&k1, "ada@example.com", ""));
        assert_eq!(token(&k1, "not an address"), None);
    }

    #[test]
    fn the_subject_quotes_the_token() {
        let t = "0123456789abcdef0123456789ABCDEF";
        assert_eq!(
            token_in_subject(&format!("Re: unsubscribe {t}")).as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
        assert_eq!(
            token_in_subject(&format!("Unsubscribe {t}")).as_deref(),
            Some(t.to_ascii_lowercase().as_str())
        );
        assert_eq!(token_in_subject("unsubscribe"), None);
        assert_eq!(token_in_subject(&format!("please unsubscribe {t}")), None);
        assert_eq!(token_in_subject(&format!("unsubscribe {t} now")), None);
        assert_eq!(token_in_subject("unsubscribe xyz"), None);
    }

    #[test]
    fn every_database_has_its_own_key() {
        let dir = tempfile::tempdir().unwrap();
        let a = crate::Store::open(dir.path().join("a.db")).unwrap();
        let b = crate::Store::open(dir.path().join("b.db")).unwrap();
        let (ka, kb) = (key_using(a.conn()).unwrap(), key_using(b.conn()).unwrap());
        assert_eq!(ka.len(), 32);
        assert_ne!(ka, kb);
        let link = mailto_using(a.conn(), "coach@example.com", "ada@example.com").unwrap();
        let t = token(&ka, "ada@example.com").unwrap();
        assert_eq!(
            link,
            format!("mailto:coach@example.com?subject=unsubscribe%20{t}")
        );
    }
}
