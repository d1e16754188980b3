import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { cleanup, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { RouterProvider, createMemoryRouter } from "react-router";
import { afterEach, describe, expect, it } from "vitest";

import type { Run, TestRun } from "@/api";

import { FailuresPage } from "./FailuresPage";
import { RunPage } from "./RunPage";

afterEach(() => {
  cleanup();
  clearMocks();
});

const failed: Run = {
  id: 7,
  workflow_id: 3,
  workflow: "Receipts",
  version: 1,
  contact_id: 1,
  contact_email: "ada@example.com",
  trigger_node: "paid",
  trigger_event_id: null,
  trigger_payload: {},
  status: "failed",
  current_node: "receipt",
  exit_reason: 'receipt: there is no account named "Gmail"',
  goal: null,
  converted: false,
  mode: "live",
  started_at: "2026-03-02T09:00:00Z",
  ended_at: "2026-03-02T09:00:01Z",
  retries: 0,
  restarted_from: null,
};

type Call = { cmd: string; args: Record<string, unknown> };

function renderAt(path: string, answer: (cmd: string, args: Record<string, unknown>) => unknown): Call[] {
  const calls: Call[] = [];
  mockIPC(
    (cmd, args) => {
      const a = (args ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args: a });
      return answer(cmd, a);
    },
    { shouldMockEvents: true },
  );
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const router = createMemoryRouter(
    [
      { path: "/runs/:runId", element: <RunPage /> },
      { path: "/workflows/:workflowId/failures", element: <FailuresPage /> },
    ],
    { initialEntries: [path] },
  );
  render(
    <QueryClientProvider client={client}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
  return calls;
}

describe("RunPage", () => {
  it("retries a failed run from its failed step and says so", async () => {
    let run: TestRun = { run: failed, steps: [], wait_until: null };
    const calls = renderAt("/runs/7", (cmd) => {
      if (cmd === "get_test_run") return run;
      if (cmd === "run_steps") return [];
      if (cmd === "retry_run") {
        run = { ...run, run: { ...failed, status: "waiting", exit_reason: null, retries: 1 } };
        return { run_id: 7, retried: true, carried_on_by: 7, reason: null };
      }
      throw new Error(`unexpected ${cmd}`);
    });
    expect(await screen.findByTestId("run-error")).toHaveTextContent('there is no account named "Gmail"');
    await userEvent.click(screen.getByTestId("retry-failed-step"));
    expect(await screen.findByTestId("retry-status")).toHaveTextContent("Retried from the failed step.");
    expect(calls.find((c) => c.cmd === "retry_run")?.args).toEqual({ runId: 7, from: "failed_step" });
    expect(await screen.findByText("waiting")).toBeInTheDocument();
    expect(screen.queryByTestId("retry-from-start")).not.toBeInTheDocument();
  });

  it("offers no retry for a test run", async () => {
    renderAt("/runs/7", (cmd) => {
      if (cmd === "get_test_run") return { run: { ...failed, mode: "dry_run" }, steps: [], wait_until: null };
      if (cmd === "run_steps") return [];
      throw new Error(`unexpected ${cmd}`);
    });
    expect(await screen.findByTestId("run-error")).toBeInTheDocument();
    expect(screen.queryByTestId("retry-failed-step")).not.toBeInTheDocument();
  });
});

describe("FailuresPage", () => {
  it("lists the failures and restarts every one the filter selects", async () => {
    const calls = renderAt("/workflows/3/failures", (cmd) => {
      if (cmd === "get_workflow") return [{ id: 3, name: "Receipts" }, { name: "Receipts", nodes: [] }];
      if (cmd === "failed_runs") return [failed];
      if (cmd === "retry_failed_runs")
        return [
          { run_id: 7, retried: true, carried_on_by: 9, reason: null },
          { run_id: 6, retried: false, carried_on_by: null, reason: "the contact has another open run of this workflow" },
        ];
      throw new Error(`unexpected ${cmd}`);
    });
    expect(await screen.findByTestId("failure")).toHaveTextContent("ada@example.com");
    await userEvent.type(screen.getByTestId("failures-error"), "account");
    await waitFor(() =>
      expect(calls.some((c) => c.cmd === "failed_runs" && (c.args.filter as { error?: string }).error === "account")).toBe(true),
    );
    await userEvent.click(screen.getByTestId("retry-from-start"));
    expect(await screen.findByTestId("retry-status")).toHaveTextContent(
      "1 of 2 runs retried. Run 6 was not retried: the contact has another open run of this workflow.",
    );
    const bulk = calls.find((c) => c.cmd === "retry_failed_runs");
    expect(bulk?.args).toEqual({ workflow: "Receipts", filter: { error: "account" }, from: "start" });
  });
});
