import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { RouterProvider, createMemoryRouter } from "react-router";
import { afterEach, beforeAll, describe, expect, it } from "vitest";

import type { WorkflowOverview, WorkflowStats } from "@/api";

import { AnalyticsOverviewPage } from "./AnalyticsOverviewPage";
import { WorkflowAnalyticsPage } from "./WorkflowAnalyticsPage";

// recharts' ResponsiveContainer watches its size with ResizeObserver.
beforeAll(() => {
  class ResizeObserver {
    observe() {}
    unobserve() {}
    disconnect() {}
  }
  Object.assign(globalThis, { ResizeObserver });
});

afterEach(() => clearMocks());

// Abandoned cart over five days: 3 runs started (1 still open), 2 ended —
// 1 completed, 1 exited by the "Purchased" goal (a conversion). So
// completion 1 ÷ 2 = 50 %, conversions 1 (50 %), 8 action steps none failed,
// the completed run took 3 days 1 hour, 1 run × 3 min at 40 an hour = 2.00.
const cart: WorkflowStats = {
  workflow_id: 4,
  workflow: "Abandoned cart",
  timezone: "America/New_York",
  since: "2026-01-05T05:00:00Z",
  until: "2026-01-10T05:00:00Z",
  runs: { started: 3, open: 1, ended: 2, completed: 1, exited: 1, failed: 0 },
  completion_rate: 0.5,
  drop_off: null,
  drop_offs: [],
  action_steps: 8,
  failed_action_steps: 0,
  error_rate: 0,
  time_to_completion: { median_secs: 3 * 86400 + 3600, p90_secs: 3 * 86400 + 3600, runs: 1 },
  throughput: { days: 5, per_day: 0.6, per_week: 4.2 },
  conversions: 1,
  conversion_rate: 0.5,
  goals: [{ goal: "Purchased", runs: 1 }],
  cost_saved: { completed_runs: 1, manual_minutes_per_run: 3, hourly_rate: 40, hours: 0.05, amount: 2 },
  workflows_active: 1,
  nodes: [],
  series: [
    { date: "2026-01-05", started: 2, completed: 0, failed: 0, conversions: 0 },
    { date: "2026-01-06", started: 1, completed: 0, failed: 0, conversions: 1 },
    { date: "2026-01-08", started: 0, completed: 1, failed: 0, conversions: 0 },
  ],
  splits: [],
};

const quiet: WorkflowStats = {
  ...cart,
  workflow_id: 5,
  workflow: "Welcome series",
  runs: { started: 0, open: 0, ended: 0, completed: 0, exited: 0, failed: 0 },
  completion_rate: null,
  action_steps: 0,
  error_rate: null,
  time_to_completion: null,
  throughput: { days: 5, per_day: 0, per_week: 0 },
  conversions: 0,
  conversion_rate: null,
  goals: [],
  cost_saved: { ...cart.cost_saved, completed_runs: 0, hours: 0, amount: 0 },
  series: [],
};

function renderAt(path: string) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const router = createMemoryRouter(
    [
      { path: "/analytics", element: <AnalyticsOverviewPage /> },
      { path: "/workflows/:workflowId/analytics", element: <WorkflowAnalyticsPage /> },
      { path: "/workflows/:workflowId", element: <p data-testid="editor">editor</p> },
    ],
    { initialEntries: [path] },
  );
  render(
    <QueryClientProvider client={client}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
  return router;
}

// An offer split A / B: 200 runs each, all ended; A converted 20 (10 %),
// B 50 (25 %): 15 pts better, significant (z ≈ 3.9).
const offer = (winner: string | null): WorkflowStats => ({
  ...cart,
  workflow: "Offer",
  splits: [
    {
      node: "ab",
      label: "Welcome offer",
      metric: "conversion",
      winner,
      after_winner: winner ? 12 : 0,
      variants: [
        { variant: "A", weight: 1, runs: 200, ended: 200, completed: 180, conversions: 20, completion_rate: 0.9, conversion_rate: 0.1, comparison: null, statement: "control" },
        {
          variant: "B",
          weight: 1,
          runs: 200,
          ended: 200,
          completed: 150,
          conversions: 50,
          completion_rate: 0.75,
          conversion_rate: 0.25,
          comparison: { difference_pts: 15, z: 3.9, p_value: 0.0001, verdict: "better" },
          statement: "B converts 15.0 pts better than A (95 % confidence, p < 0.001)",
        },
      ],
    },
  ],
});

describe("A/B split results", () => {
  it("show each variant's runs, conversions and verdict, and declare a winner as a new version", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    let winner: string | null = null;
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "workflow_analytics") return offer(winner);
      if (cmd === "declare_split_winner") {
        winner = "B";
        return { id: 4, version: 3, new_version: true, unchanged: false, report: { issues: [] } };
      }
      throw new Error(`unexpected ${cmd}`);
    });
    renderAt("/workflows/4/analytics");
    const panel = await screen.findByTestId("split-results");
    expect(within(panel).getByRole("heading", { name: "A/B split: Welcome offer" })).toBeInTheDocument();
    const rows = within(panel).getAllByTestId("split-variant");
    expect(rows.map((r) => r.getAttribute("data-variant"))).toEqual(["A", "B"]);
    expect(within(rows[0]!).getByTestId("variant-runs")).toHaveTextContent("200");
    expect(within(rows[0]!).getByTestId("variant-rate")).toHaveTextContent("10.0 %");
    expect(within(rows[0]!).getByTestId("variant-statement")).toHaveTextContent("control");
    expect(within(rows[1]!).getByTestId("variant-conversions")).toHaveTextContent("50");
    expect(within(rows[1]!).getByTestId("variant-rate")).toHaveTextContent("25.0 %");
    expect(within(rows[1]!).getByTestId("variant-statement")).toHaveTextContent("Better B converts 15.0 pts better than A (95 % confidence, p < 0.001)");

    await userEvent.click(within(rows[1]!).getByTestId("declare-winner"));
    expect(calls.some((c) => c.cmd === "declare_split_winner")).toBe(false);
    await userEvent.click(within(rows[1]!).getByTestId("confirm-winner"));
    expect(await within(panel).findByTestId("winner-saved")).toHaveTextContent(
      "Version 3 saved: every new run takes the winner. Runs already going stay on version 2.",
    );
    expect(calls.find((c) => c.cmd === "declare_split_winner")?.args).toEqual({ id: 4, node: "ab", variant: "B" });
    // The figures are read again and say who won.
    expect(await within(panel).findByTestId("split-winner")).toHaveTextContent("Winner: B");
    expect(panel).toHaveTextContent("(12 since, not counted below)");
  });

  it("say when there are too few runs to judge", async () => {
    const few = offer(null);
    few.splits[0]!.variants[1] = {
      ...few.splits[0]!.variants[1]!,
      comparison: { difference_pts: 15, z: null, p_value: null, verdict: "too_few_runs" },
      statement: "B converts 15.0 pts better than A; not yet significant (n too small: each side needs 30 ended runs and 5 of each outcome expected)",
    };
    mockIPC((cmd) => {
      if (cmd === "workflow_analytics") return few;
      throw new Error(`unexpected ${cmd}`);
    });
    renderAt("/workflows/4/analytics");
    const panel = await screen.findByTestId("split-results");
    expect(within(panel).getAllByTestId("variant-statement")[1]).toHaveTextContent("Too few runs B converts 15.0 pts better than A; not yet significant (n too small");
  });
});

describe("WorkflowAnalyticsPage", () => {
  it("shows the headline figures as defined, and the chart of runs per day", async () => {
    const asked: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "workflow_analytics") {
        asked.push(args);
        return cart;
      }
      throw new Error(`unexpected ${cmd}`);
    });
    renderAt("/workflows/4/analytics");

    expect(await screen.findByTestId("completion-rate-value")).toHaveTextContent("50.0 %");
    expect(screen.getByTestId("completion-rate")).toHaveTextContent("1 completed of 2 ended (1 exited, 0 failed)");
    expect(screen.getByTestId("conversions-value")).toHaveTextContent("1");
    expect(screen.getByTestId("conversions")).toHaveTextContent("50.0 % of ended runs · Purchased 1");
    expect(screen.getByTestId("drop-off-value")).toHaveTextContent("None");
    expect(screen.getByTestId("error-rate-value")).toHaveTextContent("0.0 %");
    expect(screen.getByTestId("error-rate")).toHaveTextContent("0 of 8 action steps failed");
    expect(screen.getByTestId("time-to-completion-value")).toHaveTextContent("3d 1h");
    expect(screen.getByTestId("time-to-completion")).toHaveTextContent("p90 3d 1h, over 1 completed run");
    expect(screen.getByTestId("throughput-value")).toHaveTextContent("0.60 a day");
    expect(screen.getByTestId("throughput")).toHaveTextContent("4.2 a week · 3 started, 1 still open");
    expect(screen.getByTestId("cost-saved-value")).toHaveTextContent("2.00");
    expect(screen.getByTestId("workflows-active-value")).toHaveTextContent("1");
    expect(screen.getByRole("heading", { name: "Abandoned cart: analytics" })).toBeInTheDocument();
    expect(screen.getByTestId("series-chart")).toHaveAttribute("data-days", "3");
    // 30 days unless the address says otherwise.
    expect(asked).toEqual([{ id: 4, days: 30 }]);
  });

  it("asks again for the range picked, and keeps it in the address", async () => {
    const asked: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "workflow_analytics") {
        asked.push(args);
        return cart;
      }
      throw new Error(`unexpected ${cmd}`);
    });
    const router = renderAt("/workflows/4/analytics");
    await screen.findByTestId("completion-rate-value");
    await userEvent.click(screen.getByTestId("range-7"));
    await userEvent.click(screen.getByTestId("range-all"));
    await screen.findByTestId("completion-rate-value");
    expect(asked).toEqual([
      { id: 4, days: 30 },
      { id: 4, days: 7 },
      { id: 4, days: null },
    ]);
    expect(router.state.location.search).toBe("?range=all");
    expect(screen.getByTestId("range-all")).toHaveAttribute("aria-checked", "true");
  });

  it("says there are no runs yet instead of showing zeros", async () => {
    mockIPC((cmd) => {
      if (cmd === "workflow_analytics") return quiet;
      throw new Error(`unexpected ${cmd}`);
    });
    renderAt("/workflows/5/analytics?range=all");
    expect(await screen.findByTestId("analytics-empty")).toHaveTextContent("This workflow has not run yet");
    expect(screen.queryByTestId("completion-rate")).not.toBeInTheDocument();
    expect(screen.queryByTestId("series-chart")).not.toBeInTheDocument();
  });

  it("shows the backend's error for an unknown workflow", async () => {
    mockIPC((cmd) => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- the shell rejects with a plain {code, message}
      if (cmd === "workflow_analytics") throw { code: "not_found", message: "no workflow with id 99" };
      throw new Error(`unexpected ${cmd}`);
    });
    renderAt("/workflows/99/analytics");
    const panel = await screen.findByTestId("error-panel");
    expect(panel).toHaveAttribute("data-code", "not_found");
    expect(panel).toHaveTextContent("no workflow with id 99");
  });
});

describe("AnalyticsOverviewPage", () => {
  const overview = (s: WorkflowStats, status: "active" | "paused"): WorkflowOverview =>
    ({
      workflow: { id: s.workflow_id, name: s.workflow, status, version: 1, created_at: s.since, updated_at: s.since },
      active_runs: 0,
      completion_rate: null,
      last_error: null,
    }) as unknown as WorkflowOverview;

  it("shows workflows active and one row per workflow linking to its view", async () => {
    mockIPC((cmd, args) => {
      if (cmd === "analytics_overview") {
        expect(args).toEqual({ days: 30 });
        return [cart, quiet];
      }
      if (cmd === "list_workflow_overviews") return [overview(cart, "active"), overview(quiet, "paused")];
      throw new Error(`unexpected ${cmd}`);
    });
    renderAt("/analytics");
    expect(await screen.findByTestId("workflows-active-value")).toHaveTextContent("1");
    expect(screen.getByTestId("workflows-active")).toHaveTextContent("of 2 workflows");
    expect(screen.getByTestId("runs-started-value")).toHaveTextContent("3");
    const rows = screen.getAllByTestId("analytics-row");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("Active");
    expect(rows[0]).toHaveTextContent("50.0 %");
    expect(rows[1]).toHaveTextContent("–");
    expect(within(rows[0]!).getByTestId("analytics-workflow")).toHaveAttribute(
      "href",
      "/workflows/4/analytics?range=30",
    );
  });

  it("invites a first workflow when there is none", async () => {
    mockIPC((cmd) => {
      if (cmd === "analytics_overview" || cmd === "list_workflow_overviews") return [];
      throw new Error(`unexpected ${cmd}`);
    });
    renderAt("/analytics");
    expect(await screen.findByTestId("analytics-empty")).toHaveTextContent("start from a template");
  });
});
