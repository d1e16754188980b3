//! Handing space back to the file system.
//!
//! New databases are created with `auto_vacuum = INCREMENTAL` (see
//! `Store::configure`); a database from before that is converted by one
//! `VACUUM` at its first [`Store::maintain`]. Maintenance then returns the
//! pages retention freed with `PRAGMA incremental_vacuum`.

use crate::{Result, Store};

impl Store {
    /// Hands free pages back to the file system. A database created before
    /// incremental auto-vacuum is converted first (one full `VACUUM`, which
    /// rewrites the file and needs as much free disk as it is large).
    /// Returns (converted, pages freed).
    pub fn reclaim_space(&mut self) -> Result<(bool, u64)> {
        let mode: i64 = self
            .conn
            .query_row("PRAGMA auto_vacuum", [], |r| r.get(0))?;
        if mode != 2 {
            tracing::info!(path = %self.path.display(), "converting the database to incremental auto-vacuum (one full VACUUM)");
            let free: i64 = self
                .conn
                .query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
            self.conn
                .execute_batch("PRAGMA auto_vacuum = INCREMENTAL; VACUUM;")?;
            return Ok((true, free.max(0) as u64));
        }
        let free: i64 = self
            .conn
            .query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
        if free > 0 {
            // The pragma frees one page per step: step it to the end.
            let mut st = self.conn.prepare("PRAGMA incremental_vacuum")?;
            let mut rows = st.query([])?;
            while rows.next()?.is_some() {}
        }
        let left: i64 = self
            .conn
            .query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
        Ok((false, (free - left).max(0) as u64))
    }
}
