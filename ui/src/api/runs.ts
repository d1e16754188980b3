// Commands behind re-running failed runs (src-tauri/commands/retries.rs):
// a workflow's failures list with its bulk action, and the run page, which
// reads a run with its steps through get_test_run (any run, not only tests).

import type { FailureFilter, Run } from "@/bindings";
import type { Retried, RetryFrom, TestRun } from "@/bindings/app";

import { commandCaller } from "./invoke";

type RunCommands = {
  failed_runs: { args: { workflow: string; filter: FailureFilter }; result: Run[] };
  retry_run: { args: { runId: number; from: RetryFrom }; result: Retried };
  retry_failed_runs: { args: { workflow: string; filter: FailureFilter; from: RetryFrom }; result: Retried[] };
  get_test_run: { args: { runId: number }; result: TestRun };
};

const call = commandCaller<RunCommands>();

export const runsApi = {
  /** A workflow's failed live runs not restarted yet, newest first. */
  failed: (workflow: string, filter: FailureFilter) => call("failed_runs", { workflow, filter }),
  /** One run again: from its failed step, or from the start on the current version. */
  retry: (runId: number, from: RetryFrom) => call("retry_run", { runId, from }),
  /** Every failure the filter selects, again. */
  retryFailed: (workflow: string, filter: FailureFilter, from: RetryFrom) =>
    call("retry_failed_runs", { workflow, filter, from }),
  /** A run with its steps. */
  get: (runId: number) => call("get_test_run", { runId }),
};
