//! Which database this is: a random id created with it, so that what it
//! sends can never be mistaken for what another database sent.
//!
//! Every idempotency key (the webhook `Idempotency-Key` header, the local
//! part of an email's `Message-ID`) is [`DatabaseIdentity::effect_key`]:
//! `cairn-<database id>-<series>-<run id>-<step id>`. Row ids alone repeat
//! across databases (a second laptop, a headless box, a fresh start), and a
//! receiver that deduplicates on them would drop a real message.
//!
//! The id is created by migration 0006, for new and existing databases
//! alike, and travels with the file: a backup and its restore keep it (the
//! same database, and Mailgun events still find the sends recorded in it).
//! The `series` part counts restores: after a restore, run ids continue
//! from the backup's, so runs created then would reuse the keys that the
//! database used after the backup was taken; [`start_series_using`] moves
//! the restored database to a series neither copy used.

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Result, Store};

/// This database's identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DatabaseIdentity {
    /// 32 lower-case hex digits (128 random bits).
    pub id: String,
    /// How many times this database was restored from a backup.
    #[ts(type = "number")]
    pub series: i64,
}

impl DatabaseIdentity {
    /// The idempotency key of the effect of `step` in `run`. Made of
    /// letters, digits and dashes only, so it is at once a valid HTTP header
    /// value and a valid Message-ID local part.
    pub fn effect_key(&self, run: i64, step: impl std::fmt::Display) -> String {
        format!("cairn-{}-{}-{run}-{step}", self.id, self.series)
    }
}

/// The identity of the database `c` belongs to.
pub fn identity_using(c: &Connection) -> Result<DatabaseIdentity> {
    Ok(
        c.prepare_cached("SELECT id, series FROM database_identity WHERE singleton = 1")?
            .query_row([], |r| {
                Ok(DatabaseIdentity {
                    id: r.get(0)?,
                    series: r.get(1)?,
                })
            })?,
    )
}

/// Starts a new key series after a restore: one above both the restored
/// database's and, when the database replaced was the same one (its id is
/// `previous.id`), the replaced database's.
pub fn start_series_using(c: &Connection, previous: Option<&DatabaseIdentity>) -> Result<i64> {
    let restored = identity_using(c)?;
    let before = previous
        .filter(|p| p.id == restored.id)
        .map_or(0, |p| p.series);
    let series = restored.series.max(before) + 1;
    c.execute(
        "UPDATE database_identity SET series = ?1 WHERE singleton = 1",
        [series],
    )?;
    Ok(series)
}

impl Store {
    /// This database's identity.
    pub fn identity(&self) -> Result<DatabaseIdentity> {
        identity_using(self.conn())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_a_plain_token() {
        let id = DatabaseIdentity {
            id: "0123456789abcdef0123456789abcdef".into(),
            series: 2,
        };
        let k = id.effect_key(12, 34);
        assert_eq!(k, "cairn-0123456789abcdef0123456789abcdef-2-12-34");
        assert!(k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }
}
