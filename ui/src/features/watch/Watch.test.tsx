import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { cleanup, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes, useParams } from "react-router";
import { afterEach, describe, expect, it } from "vitest";

import type { WatchState, WorkflowOverview } from "@/api";
import { WorkflowsPage } from "@/features/workflows";

import { WatchPanel } from "./WatchPanel";

afterEach(() => {
  cleanup();
  clearMocks();
});

const now = new Date();
const hoursFromNow = (h: number) => new Date(now.getTime() + h * 3_600_000).toISOString();

const watch: WatchState = {
  workflow_id: 1,
  version: 3,
  since: hoursFromNow(-17),
  until: hoursFromNow(31.5),
  runs_started: 12,
  open: 3,
  completed: 7,
  exited: 0,
  failed: 2,
  at_nodes: [
    { node: "pause", runs: 2 },
    { node: "hook", runs: 1 },
  ],
  failures: [
    { run_id: 41, node: "hook", reason: "hook: HTTP 500 from example.com", at: hoursFromNow(-1) },
    { run_id: 17, node: "hook", reason: "<b>hook</b>: refused", at: hoursFromNow(-5) },
  ],
};

function RunRoute() {
  return <p data-testid="run-route">run {useParams().runId}</p>;
}

describe("the watch", () => {
  it("shows time left, runs, where they stand and each failure with a link to its run", async () => {
    render(
      <MemoryRouter>
        <Routes>
          <Route path="/" element={<WatchPanel watch={watch} now={now} label={(n) => (n === "pause" ? "Wait a day" : n)} />} />
          <Route path="/runs/:runId" element={<RunRoute />} />
        </Routes>
      </MemoryRouter>,
    );
    expect(screen.getByTestId("watch-time-left")).toHaveTextContent("31 h left");
    expect(screen.getByTestId("watch-counts")).toHaveTextContent("12 started · 3 open · 7 completed · 0 exited · 2 failed");
    expect(screen.getByTestId("watch-positions")).toHaveTextContent("Now at: Wait a day 2 · hook 1");
    const failures = screen.getAllByTestId("watch-failure");
    expect(failures).toHaveLength(2);
    expect(failures[0]).toHaveTextContent("Run 41hook: HTTP 500 from example.com1 h ago");
    // A reason with markup is text, never HTML.
    expect(failures[1]).toHaveTextContent("<b>hook</b>: refused");
    expect(failures[1]!.querySelector("b")).toBeNull();
    await userEvent.click(within(failures[0]!).getByTestId("watch-failure-link"));
    expect(screen.getByTestId("run-route")).toHaveTextContent("run 41");
  });

  it("shows in the row of a watched workflow on the Workflows screen, and not in the others", async () => {
    const overview = (id: number, name: string): WorkflowOverview => ({
      workflow: { id, name, status: "active", version: 3, created_at: hoursFromNow(-100), updated_at: hoursFromNow(-17) },
      active_runs: 3,
      completed_runs: 7,
      ended_runs: 9,
      completion_rate: 7 / 9,
      last_error: null,
    });
    mockIPC(
      (cmd) => {
        if (cmd === "list_workflow_overviews") return [overview(1, "Follow-up"), overview(2, "Old faithful")];
        if (cmd === "workflow_watches") return [watch];
        if (cmd === "list_templates") return [];
        throw new Error(`unexpected command ${cmd}`);
      },
      { shouldMockEvents: true },
    );
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={client}>
        <MemoryRouter initialEntries={["/workflows"]}>
          <Routes>
            <Route path="/workflows" element={<WorkflowsPage />} />
            <Route path="/runs/:runId" element={<RunRoute />} />
          </Routes>
        </MemoryRouter>
      </QueryClientProvider>,
    );
    const summary = await screen.findByTestId("watch-row-summary");
    expect(summary).toHaveTextContent("Watching · 31 h left · 12 runs, 2 failed");
    const rows = screen.getAllByTestId("workflow-row");
    expect(within(rows[0]!).queryByTestId("watch-row-summary")).not.toBeNull();
    expect(within(rows[1]!).queryByTestId("watch-row-summary")).toBeNull();
    expect(screen.queryByTestId("watch-details")).toBeNull();
    await userEvent.click(summary);
    const details = screen.getByTestId("watch-details");
    expect(within(details).getByTestId("watch-time-left")).toHaveTextContent("31 h left");
    await userEvent.click(within(details).getAllByTestId("watch-failure-link")[1]!);
    expect(screen.getByTestId("run-route")).toHaveTextContent("run 17");
  });
});
