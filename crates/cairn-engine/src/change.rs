//! Changes the engine announces after each commit, for the canvas to light
//! nodes up and for the activity log.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Something that changed in the run state. Sent only after the
/// transaction that made it committed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    RunStarted {
        #[ts(type = "number")]
        run_id: i64,
        #[ts(type = "number")]
        workflow_id: i64,
        #[ts(type = "number")]
        contact_id: i64,
    },
    Step {
        #[ts(type = "number")]
        run_id: i64,
        #[ts(type = "number")]
        workflow_id: i64,
        #[ts(type = "number")]
        step_id: i64,
        node_id: String,
        status: cairn_store::runs::StepStatus,
    },
    RunEnded {
        #[ts(type = "number")]
        run_id: i64,
        #[ts(type = "number")]
        workflow_id: i64,
        status: cairn_store::runs::RunStatus,
    },
    /// The wall clock jumped ahead of the monotonic clock (the laptop slept);
    /// what fell due meanwhile has just been handled.
    Woke {
        #[ts(type = "number")]
        gap_secs: i64,
        /// Waits that fired late on waking (each late step says by how much).
        #[ts(type = "number")]
        late_waits: u64,
    },
    /// Something went wrong inside the executor and it carried on: a task
    /// stopped on a panic and was restarted, or an outbox entry made the
    /// sender crash and was failed alone. Also recorded as an incident.
    Fault {
        /// "engine", "dispatcher", "poller", "upkeep".
        task: String,
        message: String,
    },
}
