//! The deals of a pipeline board (the Pipelines screen, `cairn deal list`):
//! each deal with its contact's name and email and since when it stands in
//! its stage, in stage order.
//!
//! One pipeline's deals cross IPC at once: 10,000 cards are about 2 MB of
//! JSON, read in one indexed walk (`deals_board`), and the screen needs all
//! of them anyway for the per-stage totals; it virtualizes the columns so
//! only the visible cards are drawn. Moving a deal is
//! [`Store::set_deal_stage`], the contact page's path, so both record the
//! same `deal.stage_changed`.

use cairn_model::Timestamp;
use rusqlite::types::Value as V;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::contacts::like_pattern;
use crate::{Result, Store, StoreError, ts};

/// Which deals to show.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct BoardQuery {
    /// One pipeline, or every pipeline when absent.
    pub pipeline: Option<String>,
    /// One stage of that pipeline.
    pub stage: Option<String>,
    /// Only deals whose contact has this tag.
    pub tag: Option<String>,
    /// Matches the contact's email or name, or the deal's title.
    pub search: Option<String>,
}

/// A deal as a board card shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct BoardDeal {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub contact_id: i64,
    pub contact_email: String,
    pub contact_name: Option<String>,
    pub pipeline: String,
    pub stage: String,
    pub title: String,
    pub value: Option<f64>,
    /// When the deal entered its stage ("days in stage").
    pub stage_since: Timestamp,
}

impl Store {
    /// The deals a query selects, by pipeline name, stage order, then the
    /// latest to arrive in their stage first (a card just moved tops its
    /// column, where the user dropped it).
    pub fn board_deals(&self, q: &BoardQuery) -> Result<Vec<BoardDeal>> {
        let mut sql = String::from(
            "SELECT d.id, d.contact_id, c.email, c.name, p.name, s.name, d.title, d.value, d.stage_since
             FROM deals d JOIN pipelines p ON p.id = d.pipeline_id JOIN stages s ON s.id = d.stage_id
             JOIN contacts c ON c.id = d.contact_id WHERE c.erased_at IS NULL",
        );
        let mut args: Vec<V> = vec![];
        let given = |o: &Option<String>| {
            o.as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
        };
        if let Some(name) = given(&q.pipeline) {
            let p = self.pipeline(&name)?;
            args.push(V::Integer(p.id));
            sql.push_str(&format!(" AND d.pipeline_id = ?{}", args.len()));
            if let Some(stage) = given(&q.stage) {
                if !p.stages.iter().any(|s| s.eq_ignore_ascii_case(&stage)) {
                    return Err(StoreError::not_found("stage", stage));
                }
                args.push(V::Text(stage));
                sql.push_str(&format!(" AND s.name = ?{}", args.len()));
            }
        } else if given(&q.stage).is_some() {
            return Err(cairn_model::ModelError::Invalid(
                "a stage filter needs its pipeline".into(),
            )
            .into());
        }
        if let Some(tag) = given(&q.tag) {
            args.push(V::Text(tag));
            sql.push_str(&format!(
                " AND d.contact_id IN (SELECT ct.contact_id FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE t.name = ?{})",
                args.len()
            ));
        }
        if let Some(s) = given(&q.search) {
            args.push(V::Text(like_pattern(&s)));
            sql.push_str(&format!(
                " AND (c.email_key LIKE ?{n} ESCAPE '\\' OR lower(c.name) LIKE ?{n} ESCAPE '\\' OR lower(d.title) LIKE ?{n} ESCAPE '\\')",
                n = args.len()
            ));
        }
        sql.push_str(" ORDER BY p.name, s.position, d.stage_since DESC, d.id DESC");
        let mut st = self.conn().prepare(&sql)?;
        let rows = st.query_map(rusqlite::params_from_iter(args), |r| {
            Ok(BoardDeal {
                id: r.get(0)?,
                contact_id: r.get(1)?,
                contact_email: r.get(2)?,
                contact_name: r.get(3)?,
                pipeline: r.get(4)?,
                stage: r.get(5)?,
                title: r.get(6)?,
                value: r.get(7)?,
                stage_since: ts(r.get(8)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
