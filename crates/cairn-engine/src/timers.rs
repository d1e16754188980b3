//! Firing due timers: waits that elapsed, event waits that timed out, and
//! effects held for a send window. Each wait's late policy is honoured.

use cairn_model::workflow::{NodeSpec, exits};
use cairn_store::runs::{self, StepStatus, Timer, TimerPurpose};
use cairn_store::step_detail::StepDetail;

use crate::error::Result;
use crate::run::{self, Batch};

/// Lateness below this is normal scheduling jitter and not recorded.
const LATE_NOTE_SECS: i64 = 60;

/// "3 h", "2 d 4 h", "45 min".
pub fn human_span(secs: i64) -> String {
    let (d, h, m) = (secs / 86_400, (secs % 86_400) / 3_600, (secs % 3_600) / 60);
    match (d, h, m) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

pub(crate) fn fire(batch: &mut Batch<'_>, t: &Timer) -> Result<()> {
    runs::delete_timer_using(batch.tx, t.id)?;
    let Some(mut run) = run::load(batch, t.run_id)? else {
        return Ok(());
    };
    let Some(node) = run.def.node(&t.node_id).cloned() else {
        runs::delete_event_wait_using(batch.tx, run.id)?;
        return run::end(
            batch,
            &run,
            runs::RunStatus::Failed,
            Some(&format!("node {:?} no longer exists", t.node_id)),
        );
    };
    if t.purpose == TimerPurpose::Window {
        // The send window opened: run the held action now, finishing the
        // step that has been waiting for it.
        run.held_step = runs::open_step_using(batch.tx, run.id, &node.id)?
            .filter(|s| s.status == StepStatus::Waiting)
            .map(|s| s.id);
        run.node = Some(node.id.clone());
        return run::advance(batch, &mut run);
    }
    let late = (batch.now - t.due_at).num_seconds().max(0);
    let step = runs::open_step_using(batch.tx, run.id, &node.id)?;
    if let Some(limit) = node.spec.late_policy().and_then(|p| p.skip_if_late_by)
        && late > limit.secs()
    {
        let reason = format!(
            "skipped: the wait fired {} late (limit {})",
            human_span(late),
            human_span(limit.secs())
        );
        if let Some(s) = &step {
            let d = run::merged_detail(
                batch.tx,
                s.id,
                Some(StepDetail::Late {
                    late_by_secs: late,
                    late: None,
                }),
            )?;
            run::finish_step(
                batch,
                &run,
                s.id,
                &node.id,
                StepStatus::Skipped,
                None,
                Some(d),
            )?;
        }
        return run::exit_run(batch, run.id, run.workflow_id, &reason, None, false);
    }
    let exit = match (&node.spec, t.purpose) {
        (NodeSpec::WaitForEvent(_), TimerPurpose::Timeout) => {
            runs::delete_event_wait_using(batch.tx, run.id)?;
            exits::TIMED_OUT
        }
        // A wait-for-event whose event arrived while the workflow was paused.
        (NodeSpec::WaitForEvent(_), _) => exits::ARRIVED,
        _ => exits::NEXT,
    };
    if let Some(s) = &step {
        let extra = (late >= LATE_NOTE_SECS).then(|| StepDetail::Late {
            late_by_secs: late,
            late: Some(format!("fired {} late", human_span(late))),
        });
        let d = run::merged_detail(batch.tx, s.id, extra)?;
        run::finish_step(
            batch,
            &run,
            s.id,
            &node.id,
            StepStatus::Ok,
            Some(exit),
            Some(d),
        )?;
    }
    run::resume(batch, &mut run, &node.id, exit)
}

#[cfg(test)]
mod tests {
    #[test]
    fn spans() {
        assert_eq!(super::human_span(3 * 3600), "3 h");
        assert_eq!(super::human_span(90 * 60), "1 h 30 min");
        assert_eq!(super::human_span(2 * 86_400 + 4 * 3600), "2 d 4 h");
        assert_eq!(super::human_span(45 * 60), "45 min");
    }
}
