//! The size report: the database file, its log, and what each table and
//! its indexes use.

use cairn_model::Timestamp;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{file_len, wal_path};
use crate::{Result, Store};

/// Space used by one table and its indexes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TableUsage {
    pub table: String,
    #[ts(type = "number")]
    pub rows: u64,
    /// The table's own pages.
    #[ts(type = "number")]
    pub bytes: u64,
    /// Its indexes' pages.
    #[ts(type = "number")]
    pub index_bytes: u64,
}

/// The database file and what uses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DatabaseStats {
    pub path: String,
    #[ts(type = "number")]
    pub file_bytes: u64,
    #[ts(type = "number")]
    pub wal_bytes: u64,
    #[ts(type = "number")]
    pub page_size: u64,
    #[ts(type = "number")]
    pub page_count: u64,
    /// Pages free inside the file (maintenance gives them back).
    #[ts(type = "number")]
    pub free_pages: u64,
    /// "incremental", "full" or "none".
    pub auto_vacuum: String,
    pub schema_version: u32,
    /// Per table, largest first. Sizes come from SQLite's `dbstat` table;
    /// where a build lacks it, `bytes` and `index_bytes` are 0 and
    /// [`DatabaseStats::per_table_sizes`] is false.
    pub tables: Vec<TableUsage>,
    pub per_table_sizes: bool,
    pub retention_days: u32,
    pub last_maintained_at: Option<Timestamp>,
}

impl Store {
    /// The file's size and what uses it.
    pub fn database_stats(&self) -> Result<DatabaseStats> {
        let c = &self.conn;
        let pragma = |name: &str| -> Result<i64> {
            Ok(c.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))?)
        };
        let page_size = pragma("page_size")?.max(0) as u64;
        let tables: Vec<String> = c
            .prepare(
                "SELECT name FROM sqlite_schema WHERE type = 'table'
                 AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut usage: Vec<TableUsage> = vec![];
        for t in &tables {
            let rows: i64 =
                c.query_row(&format!("SELECT COUNT(*) FROM \"{t}\""), [], |r| r.get(0))?;
            usage.push(TableUsage {
                table: t.clone(),
                rows: rows.max(0) as u64,
                bytes: 0,
                index_bytes: 0,
            });
        }
        // dbstat: one row per b-tree (aggregate), named by table or index.
        let sizes = c
            .prepare(
                "SELECT s.name, COALESCE(m.tbl_name, s.name), m.type, SUM(s.pgsize)
                 FROM dbstat AS s LEFT JOIN sqlite_schema AS m ON m.name = s.name
                 WHERE s.aggregate = TRUE GROUP BY s.name",
            )
            .and_then(|mut st| {
                st.query_map([], |r| {
                    Ok((
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            });
        let per_table_sizes = match sizes {
            Ok(rows) => {
                for (table, kind, bytes) in rows {
                    let Some(u) = usage.iter_mut().find(|u| u.table == table) else {
                        continue; // sqlite_schema and other internal b-trees
                    };
                    if kind.as_deref() == Some("index") {
                        u.index_bytes += bytes.max(0) as u64;
                    } else {
                        u.bytes += bytes.max(0) as u64;
                    }
                }
                true
            }
            Err(e) => {
                tracing::debug!("no dbstat in this SQLite: {e}");
                false
            }
        };
        usage.sort_by(|a, b| {
            (b.bytes + b.index_bytes)
                .cmp(&(a.bytes + a.index_bytes))
                .then_with(|| a.table.cmp(&b.table))
        });
        let auto_vacuum = match pragma("auto_vacuum")? {
            1 => "full",
            2 => "incremental",
            _ => "none",
        };
        Ok(DatabaseStats {
            path: self.path.display().to_string(),
            file_bytes: file_len(&self.path),
            wal_bytes: file_len(&wal_path(&self.path)),
            page_size,
            page_count: pragma("page_count")?.max(0) as u64,
            free_pages: pragma("freelist_count")?.max(0) as u64,
            auto_vacuum: auto_vacuum.into(),
            schema_version: self.schema_version()?,
            tables: usage,
            per_table_sizes,
            retention_days: self.retention_days()?,
            last_maintained_at: self.last_maintained_at()?,
        })
    }
}
