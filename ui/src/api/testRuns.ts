// Commands of the editor's test run panel and the canvas's run counts
// (src-tauri/commands/test_runs.rs).

import type { NodeCounts } from "@/bindings";
import type { TestRun, TestRunRequest } from "@/bindings/app";

import { commandCaller } from "./invoke";

type TestRunCommands = {
  start_test_run: { args: { request: TestRunRequest }; result: TestRun };
  skip_test_wait: { args: { runId: number }; result: TestRun };
  get_test_run: { args: { runId: number }; result: TestRun };
  workflow_node_counts: { args: { workflow: string }; result: NodeCounts[] };
};

const call = commandCaller<TestRunCommands>();

export const testRunsApi = {
  /** Starts a dry or test run of the saved workflow; it has run up to its first wait when this resolves. */
  start: (request: TestRunRequest) => call("start_test_run", { request }),
  /** Fires the test run's pending wait now (time travel; test runs only). */
  skipWait: (runId: number) => call("skip_test_wait", { runId }),
  get: (runId: number) => call("get_test_run", { runId }),
  /** Live runs' steps per node (passed, waiting, failed, skipped). */
  nodeCounts: (workflow: string) => call("workflow_node_counts", { workflow }),
};
