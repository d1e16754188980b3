//! Pipelines, stages and deals; courses and course access. All local.

use cairn_model::Timestamp;
use cairn_model::event::types;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use crate::events::{EventRecord, append_using};
use crate::{Result, Store, StoreError, ms, ts};

/// A pipeline with its ordered stages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Pipeline {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub stages: Vec<String>,
}

/// A contact's deal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Deal {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub contact_id: i64,
    pub pipeline: String,
    pub stage: String,
    pub title: String,
    pub value: Option<f64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A contact's access to a course.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Enrollment {
    pub course: String,
    pub enrolled_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub progress: u8,
}

/// Creates a pipeline, or adds the stages it lacks (in order, at the end).
pub fn ensure_pipeline_using(
    tx: &rusqlite::Connection,
    name: &str,
    stages: &[String],
    now: Timestamp,
) -> Result<i64> {
    let name = name.trim();
    if name.is_empty() {
        return Err(cairn_model::ModelError::Invalid("a pipeline needs a name".into()).into());
    }
    tx.prepare_cached(
        "INSERT INTO pipelines (name, created_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
    )?
    .execute(params![name, ms(now)])?;
    let id: i64 = tx
        .prepare_cached("SELECT id FROM pipelines WHERE name = ?1")?
        .query_row([name], |r| r.get(0))?;
    for s in stages {
        let s = s.trim();
        if s.is_empty() {
            continue;
        }
        tx.prepare_cached("INSERT INTO stages (pipeline_id, name, position)
             VALUES (?1, ?2, (SELECT COALESCE(MAX(position), -1) + 1 FROM stages WHERE pipeline_id = ?1))
             ON CONFLICT (pipeline_id, name) DO NOTHING")?.execute(params![id, s],
        )?;
    }
    Ok(id)
}

pub fn ensure_course_using(tx: &rusqlite::Connection, name: &str, now: Timestamp) -> Result<i64> {
    let name = name.trim();
    if name.is_empty() {
        return Err(cairn_model::ModelError::Invalid("a course needs a name".into()).into());
    }
    tx.prepare_cached(
        "INSERT INTO courses (name, created_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
    )?
    .execute(params![name, ms(now)])?;
    Ok(tx
        .prepare_cached("SELECT id FROM courses WHERE name = ?1")?
        .query_row([name], |r| r.get(0))?)
}

fn stage_ids(
    tx: &rusqlite::Connection,
    pipeline: &str,
    stage: &str,
) -> Result<(i64, i64, String, String)> {
    tx.prepare_cached(
        "SELECT p.id, s.id, p.name, s.name FROM pipelines p JOIN stages s ON s.pipeline_id = p.id
         WHERE p.name = ?1 AND s.name = ?2",
    )?
    .query_row(params![pipeline.trim(), stage.trim()], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })
    .optional()?
    .ok_or_else(|| StoreError::not_found("pipeline stage", format!("{pipeline} / {stage}")))
}

/// Creates a deal for a contact at a stage; records `deal.created`.
pub fn create_deal_using(
    tx: &rusqlite::Connection,
    contact_id: i64,
    pipeline: &str,
    stage: &str,
    title: &str,
    value: Option<f64>,
    now: Timestamp,
) -> Result<i64> {
    let (pid, sid, pname, sname) = stage_ids(tx, pipeline, stage)?;
    tx.prepare_cached("INSERT INTO deals (contact_id, pipeline_id, stage_id, title, value, created_at, updated_at, stage_since)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6)")?.execute(params![contact_id, pid, sid, title, value, ms(now)],
    )?;
    let id = tx.last_insert_rowid();
    append_using(
        tx,
        &EventRecord::cairn(
            types::DEAL_CREATED,
            Some(contact_id),
            &json!({"deal_id": id, "pipeline": pname, "stage": sname, "title": title, "value": value}),
            now,
        ),
        now,
    )?;
    Ok(id)
}

/// Moves the contact's latest deal in `pipeline` to `stage` (creating a deal
/// when the contact has none there); records `deal.stage_changed`.
pub fn move_deal_using(
    tx: &rusqlite::Connection,
    contact_id: i64,
    pipeline: &str,
    stage: &str,
    default_title: &str,
    now: Timestamp,
) -> Result<i64> {
    let (pid, sid, pname, sname) = stage_ids(tx, pipeline, stage)?;
    let deal: Option<(i64, i64)> = tx
        .query_row(
            "SELECT id, stage_id FROM deals WHERE contact_id = ?1 AND pipeline_id = ?2 ORDER BY id DESC LIMIT 1",
            params![contact_id, pid],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((deal_id, old_sid)) = deal else {
        return create_deal_using(tx, contact_id, &pname, &sname, default_title, None, now);
    };
    move_deal_by_id_using(
        tx,
        &StageMove {
            deal_id,
            contact_id,
            from: old_sid,
            to: sid,
            pipeline: &pname,
            stage: &sname,
        },
        now,
    )?;
    Ok(deal_id)
}

/// A deal moving from one stage of its pipeline to another.
#[derive(Clone, Copy)]
struct StageMove<'a> {
    deal_id: i64,
    contact_id: i64,
    /// Stage ids, from and to.
    from: i64,
    to: i64,
    /// The names the `deal.stage_changed` event carries.
    pipeline: &'a str,
    stage: &'a str,
}

fn move_deal_by_id_using(
    tx: &rusqlite::Connection,
    m: &StageMove<'_>,
    now: Timestamp,
) -> Result<()> {
    let StageMove {
        deal_id,
        contact_id,
        from: old_sid,
        to: sid,
        pipeline: pname,
        stage: sname,
    } = *m;
    if old_sid == sid {
        return Ok(());
    }
    let old: String = tx
        .prepare_cached("SELECT name FROM stages WHERE id = ?1")?
        .query_row([old_sid], |r| r.get(0))?;
    tx.prepare_cached(
        "UPDATE deals SET stage_id = ?2, updated_at = ?3, stage_since = ?3 WHERE id = ?1",
    )?
    .execute(params![deal_id, sid, ms(now)])?;
    append_using(
        tx,
        &EventRecord::cairn(
            types::DEAL_STAGE_CHANGED,
            Some(contact_id),
            &json!({"deal_id": deal_id, "pipeline": pname, "stage": sname, "old_stage": old}),
            now,
        ),
        now,
    )?;
    Ok(())
}

/// Grants course access; records `course.enrolled` when newly granted.
pub fn enroll_using(
    tx: &rusqlite::Connection,
    contact_id: i64,
    course: &str,
    now: Timestamp,
) -> Result<bool> {
    let cid: i64 = tx
        .query_row(
            "SELECT id FROM courses WHERE name = ?1",
            [course.trim()],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| StoreError::not_found("course", course))?;
    let active: Option<Option<i64>> = tx
        .query_row(
            "SELECT revoked_at FROM enrollments WHERE contact_id = ?1 AND course_id = ?2",
            params![contact_id, cid],
            |r| r.get(0),
        )
        .optional()?;
    if matches!(active, Some(None)) {
        return Ok(false);
    }
    tx.prepare_cached("INSERT INTO enrollments (contact_id, course_id, enrolled_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (contact_id, course_id) DO UPDATE SET enrolled_at = excluded.enrolled_at, revoked_at = NULL")?.execute(params![contact_id, cid, ms(now)],
    )?;
    let name: String = tx
        .prepare_cached("SELECT name FROM courses WHERE id = ?1")?
        .query_row([cid], |r| r.get(0))?;
    append_using(
        tx,
        &EventRecord::cairn(
            types::COURSE_ENROLLED,
            Some(contact_id),
            &json!({"course": name}),
            now,
        ),
        now,
    )?;
    Ok(true)
}

/// Revokes course access; records `course.unenrolled` when it was granted.
pub fn unenroll_using(
    tx: &rusqlite::Connection,
    contact_id: i64,
    course: &str,
    now: Timestamp,
) -> Result<bool> {
    let found: Option<(i64, String)> = tx
        .query_row(
            "SELECT id, name FROM courses WHERE name = ?1",
            [course.trim()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((cid, name)) = found else {
        return Err(StoreError::not_found("course", course));
    };
    let n = tx.prepare_cached("UPDATE enrollments SET revoked_at = ?3 WHERE contact_id = ?1 AND course_id = ?2 AND revoked_at IS NULL")?.execute(params![contact_id, cid, ms(now)],
    )?;
    if n == 1 {
        append_using(
            tx,
            &EventRecord::cairn(
                types::COURSE_UNENROLLED,
                Some(contact_id),
                &json!({"course": name}),
                now,
            ),
            now,
        )?;
    }
    Ok(n == 1)
}

impl Store {
    pub fn pipelines(&self) -> Result<Vec<Pipeline>> {
        let mut st = self
            .conn()
            .prepare_cached("SELECT id, name FROM pipelines ORDER BY name")?;
        let ps: Vec<(i64, String)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        ps.into_iter()
            .map(|(id, name)| {
                let mut st = self.conn().prepare_cached(
                    "SELECT name FROM stages WHERE pipeline_id = ?1 ORDER BY position",
                )?;
                let stages = st
                    .query_map([id], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                Ok(Pipeline { id, name, stages })
            })
            .collect()
    }

    pub fn courses(&self) -> Result<Vec<String>> {
        let mut st = self
            .conn()
            .prepare_cached("SELECT name FROM courses ORDER BY name")?;
        let rows = st.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn ensure_pipeline(
        &mut self,
        name: &str,
        stages: &[String],
        now: Timestamp,
    ) -> Result<i64> {
        self.write(|tx| ensure_pipeline_using(tx, name, stages, now))
    }

    pub fn ensure_course(&mut self, name: &str, now: Timestamp) -> Result<i64> {
        self.write(|tx| ensure_course_using(tx, name, now))
    }

    pub fn deals_of_contact(&self, contact_id: i64) -> Result<Vec<Deal>> {
        let mut st = self.conn().prepare_cached(
            "SELECT d.id, d.contact_id, p.name, s.name, d.title, d.value, d.created_at, d.updated_at
             FROM deals d JOIN pipelines p ON p.id = d.pipeline_id JOIN stages s ON s.id = d.stage_id
             WHERE d.contact_id = ?1 ORDER BY d.id",
        )?;
        let rows = st.query_map([contact_id], |r| {
            Ok(Deal {
                id: r.get(0)?,
                contact_id: r.get(1)?,
                pipeline: r.get(2)?,
                stage: r.get(3)?,
                title: r.get(4)?,
                value: r.get(5)?,
                created_at: ts(r.get(6)?),
                updated_at: ts(r.get(7)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Moves a deal to another stage of its pipeline by hand (the contacts
    /// screen); records `deal.stage_changed` so triggers see it.
    pub fn set_deal_stage(&mut self, deal_id: i64, stage: &str, now: Timestamp) -> Result<()> {
        self.write(|tx| {
            let (contact_id, pid, old_sid, pname): (i64, i64, i64, String) = tx
                .query_row(
                    "SELECT d.contact_id, d.pipeline_id, d.stage_id, p.name FROM deals d JOIN pipelines p ON p.id = d.pipeline_id WHERE d.id = ?1",
                    [deal_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?
                .ok_or_else(|| StoreError::not_found("deal", deal_id.to_string()))?;
            let (sid, sname): (i64, String) = tx
                .query_row(
                    "SELECT id, name FROM stages WHERE pipeline_id = ?1 AND name = ?2",
                    params![pid, stage.trim()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .ok_or_else(|| StoreError::not_found("stage", stage))?;
            move_deal_by_id_using(
                tx,
                &StageMove {
                    deal_id,
                    contact_id,
                    from: old_sid,
                    to: sid,
                    pipeline: &pname,
                    stage: &sname,
                },
                now,
            )
        })
    }

    pub fn enrollments_of_contact(&self, contact_id: i64) -> Result<Vec<Enrollment>> {
        let mut st = self.conn().prepare_cached(
            "SELECT c.name, e.enrolled_at, e.revoked_at, e.progress FROM enrollments e JOIN courses c ON c.id = e.course_id
             WHERE e.contact_id = ?1 ORDER BY c.name",
        )?;
        let rows = st.query_map([contact_id], |r| {
            Ok(Enrollment {
                course: r.get(0)?,
                enrolled_at: ts(r.get(1)?),
                revoked_at: crate::ts_opt(r.get(2)?),
                progress: r.get::<_, i64>(3)?.clamp(0, 100) as u8,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
