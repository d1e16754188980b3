import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { clearMocks, mockIPC as mockShell } from "@tauri-apps/api/mocks";
import { cleanup, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes, useLocation } from "react-router";
import { afterEach, describe, expect, it } from "vitest";

import type { TemplateInfo, WorkflowOverview, WorkflowSummary } from "@/api";

import { WorkflowsPage } from "./WorkflowsPage";

// The real api module, invoke() and dialog plugin front end run; only the
// Rust side of the IPC is replaced, answering as the shell would. Events
// are mocked too: the rows' watch listens to cairn://change.
const mockIPC = (handler: Parameters<typeof mockShell>[0]) => mockShell(handler, { shouldMockEvents: true });

function Editor() {
  const location = useLocation();
  const notice = (location.state as { notice?: string } | null)?.notice ?? "";
  return <p data-testid="editor-route">{`${location.pathname} ${notice}`}</p>;
}

function renderPage() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={["/workflows"]}>
        <Routes>
          <Route path="/workflows" element={<WorkflowsPage />} />
          <Route path="/workflows/:id" element={<Editor />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

const summary: WorkflowSummary = {
  id: 1,
  name: "Welcome series",
  status: "paused",
  version: 2,
  created_at: "2025-03-01T09:00:00Z",
  updated_at: "2025-03-02T09:00:00Z",
};

const overview = (w: Partial<WorkflowSummary>, more: Partial<WorkflowOverview> = {}): WorkflowOverview => ({
  workflow: { ...summary, ...w },
  active_runs: 0,
  completed_runs: 0,
  ended_runs: 0,
  completion_rate: null,
  last_error: null,
  ...more,
});

afterEach(() => {
  // Unmount first: the watch stops listening to cairn://change through the mocks.
  cleanup();
  clearMocks();
});

describe("WorkflowsPage", () => {
  it("lists each workflow with its status, runs, completion and last error", async () => {
    mockIPC((cmd) => {
      if (cmd === "list_workflow_overviews")
        return [
          overview({}),
          overview(
            { id: 2, name: "Abandoned cart", status: "active" },
            {
              active_runs: 12,
              completed_runs: 2,
              ended_runs: 3,
              completion_rate: 2 / 3,
              last_error: { node: "receipt", message: "SMTP said 550", at: "2025-03-02T08:00:00Z" },
            },
          ),
        ];
      throw new Error(`unexpected command ${cmd}`);
    });
    renderPage();

    const rows = await screen.findAllByTestId("workflow-row");
    expect(rows).toHaveLength(2);
    const [welcome, cart] = rows as [HTMLElement, HTMLElement];
    expect(within(welcome).getByTestId("workflow-name")).toHaveTextContent("Welcome series");
    expect(within(welcome).getByTestId("workflow-status")).toHaveTextContent("Paused");
    expect(within(welcome).getByTestId("workflow-completion")).toHaveTextContent("—");
    expect(within(welcome).getByTestId("workflow-last-error")).toHaveTextContent("None");
    expect(within(welcome).getByTestId("workflow-activate")).toBeInTheDocument();
    expect(within(cart).getByTestId("workflow-status")).toHaveTextContent("Active");
    expect(within(cart).getByTestId("workflow-active-runs")).toHaveTextContent("12");
    expect(within(cart).getByTestId("workflow-completion")).toHaveTextContent("67%");
    expect(within(cart).getByTestId("workflow-last-error")).toHaveTextContent("receipt: SMTP said 550");
    expect(within(cart).getByTestId("workflow-pause")).toBeInTheDocument();
    expect(within(welcome).getByTestId("workflow-name")).toHaveAttribute("href", "/workflows/1");
    expect(within(welcome).getByTestId("workflow-analytics")).toHaveAttribute("href", "/workflows/1/analytics");
  });

  it("tells the user what to do when there are no workflows", async () => {
    mockIPC(() => []);
    renderPage();

    const empty = await screen.findByTestId("workflows-empty");
    expect(empty).toHaveTextContent("No workflows yet");
    expect(within(empty).getByTestId("empty-new")).toBeInTheDocument();
    expect(within(empty).getByTestId("empty-import")).toBeInTheDocument();
    expect(screen.queryByTestId("workflow-list")).not.toBeInTheDocument();
  });

  it("offers the eight built-in templates first when there are no workflows; one click opens one", async () => {
    const names = [
      "Welcome series",
      "Abandoned cart",
      "Post-purchase: Program A",
      "Lead magnet delivery",
      "Order status",
      "Refund: Program A",
      "Re-engagement: 60 days quiet",
      "Agency client onboarding",
    ];
    const templates: TemplateInfo[] = names.map((name) => ({
      slug: name.toLowerCase().replace(/[^a-z]+/g, "-"),
      name,
      description: `What ${name} does. And more detail.`,
      triggers: [],
      nodes: 5,
      emails: 2,
      goals: [],
      accounts: [],
      engagement: false,
      requires: {},
    }));
    const used: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "list_workflow_overviews") return [];
      if (cmd === "list_templates") return templates;
      if (cmd === "use_template") {
        used.push(args);
        return { id: 7, name: "Welcome series", renamed_from: null, replaced: false, version: 1, status: "paused", report: { issues: [] } };
      }
      throw new Error(`unexpected command ${cmd}`);
    });
    renderPage();

    const empty = await screen.findByTestId("workflows-empty");
    const starters = await within(empty).findAllByTestId("starter");
    expect(starters.map((s) => s.querySelector("strong")?.textContent)).toEqual(names);
    expect(starters[0]).toHaveTextContent("What Welcome series does.");
    expect(starters[0]).not.toHaveTextContent("And more detail.");
    // The templates come before the empty canvas and the file.
    const canvas = within(empty).getByTestId("empty-new");
    expect(starters.at(-1)!.compareDocumentPosition(canvas) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(within(empty).getByTestId("empty-import")).toBeInTheDocument();

    await userEvent.click(within(empty).getByRole("button", { name: "Use the template Welcome series" }));
    expect(await screen.findByTestId("editor-route")).toHaveTextContent("/workflows/7 Imported “Welcome series”, paused.");
    expect(used).toEqual([{ slug: "welcome-series" }]);
  });

  it("shows the backend's message and code, and tries again on request", async () => {
    let fail = true;
    mockIPC(() => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- the shell rejects with a plain {code, message}
      if (fail) throw { code: "newer_database", message: "update Cairn to open it" };
      return [overview({})];
    });
    renderPage();

    const panel = await screen.findByRole("alert");
    expect(panel).toHaveTextContent("update Cairn to open it");
    expect(panel).toHaveAttribute("data-code", "newer_database");

    fail = false;
    await userEvent.click(within(panel).getByRole("button", { name: /try again/i }));
    expect(await screen.findByTestId("workflow-row")).toHaveTextContent("Welcome series");
  });

  it("creates a workflow and opens it, and says when the name is taken", async () => {
    const names: string[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "list_workflow_overviews") return [overview({})];
      if (cmd === "create_workflow") {
        const { name } = args as { name: string };
        names.push(name);
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- as the shell rejects
        if (name === "Welcome series") throw { code: "conflict", message: 'a workflow named "Welcome series" already exists' };
        return { id: 7, version: 1, new_version: false, unchanged: false, report: { issues: [] } };
      }
      throw new Error(`unexpected command ${cmd}`);
    });
    renderPage();

    await userEvent.click(await screen.findByTestId("new-workflow"));
    await userEvent.type(screen.getByTestId("new-workflow-name"), "Welcome series");
    await userEvent.click(screen.getByTestId("new-workflow-create"));
    expect(await screen.findByTestId("error-new-workflow-name")).toHaveTextContent("exists already");

    await userEvent.clear(screen.getByTestId("new-workflow-name"));
    await userEvent.type(screen.getByTestId("new-workflow-name"), "Onboarding{Enter}");
    expect(await screen.findByTestId("editor-route")).toHaveTextContent("/workflows/7");
    expect(names).toEqual(["Welcome series", "Onboarding"]);
  });

  it("refuses activation while errors remain and lists them", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === "list_workflow_overviews") return [overview({})];
      if (cmd === "set_workflow_status" || cmd === "forecast_workflow")
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- as the shell rejects
        throw { code: "validation_failed", message: "the workflow has 1 error: node vip: the tag is not set" };
      if (cmd === "workflow_report")
        return {
          issues: [
            { severity: "error", code: "missing_setting", node: "vip", message: "the tag is not set" },
            { severity: "warning", code: "unreachable_node", node: "x", message: "no trigger leads to this node" },
          ],
        };
      throw new Error(`unexpected command ${cmd}`);
    });
    renderPage();

    await userEvent.click(await screen.findByTestId("workflow-activate"));
    const dialog = await screen.findByTestId("activation-refused");
    const issues = within(dialog).getAllByTestId("activation-issue");
    expect(issues).toHaveLength(1);
    expect(issues[0]).toHaveTextContent("vip the tag is not set");
    await userEvent.click(within(dialog).getByTestId("activation-open-editor"));
    expect(await screen.findByTestId("editor-route")).toHaveTextContent("/workflows/1");
    expect(calls).toContain("workflow_report");
    expect(calls.indexOf("forecast_workflow")).toBeLessThan(calls.indexOf("set_workflow_status"));
  });

  it("imports a picked file (as a copy by default) and shows a bad file's path and reason", async () => {
    const imports: unknown[] = [];
    let bad = true;
    mockIPC((cmd, args) => {
      if (cmd === "list_workflow_overviews") return [];
      if (cmd === "plugin:dialog|open") return "/home/ada/flow.json";
      if (cmd === "import_workflow_file") {
        imports.push(args);
        if (bad)
          // eslint-disable-next-line @typescript-eslint/only-throw-error -- as the shell rejects
          throw {
            code: "invalid_field",
            message: '/home/ada/flow.json: nodes[1].config.duration: expected a duration such as "2d"',
          };
        return {
          id: 4,
          name: "Flow (2)",
          renamed_from: "Flow",
          replaced: false,
          version: 1,
          status: "paused",
          report: { issues: [] },
        };
      }
      throw new Error(`unexpected command ${cmd}`);
    });
    renderPage();

    await userEvent.click(await screen.findByTestId("empty-import"));
    await userEvent.click(screen.getByTestId("import-choose"));
    const error = await screen.findByTestId("import-error");
    expect(error).toHaveTextContent("nodes[1].config.duration: expected a duration");
    expect(error).toHaveTextContent("invalid_field");

    bad = false;
    await userEvent.click(screen.getByTestId("import-choose"));
    expect(await screen.findByTestId("editor-route")).toHaveTextContent(
      "/workflows/4 “Flow” exists already, so the file was imported as “Flow (2)”, paused.",
    );
    expect(imports).toEqual([
      { path: "/home/ada/flow.json", replace: false },
      { path: "/home/ada/flow.json", replace: false },
    ]);
  });

  it("deletes only after confirming", async () => {
    const deleted: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "list_workflow_overviews") return deleted.length ? [] : [overview({}, { active_runs: 2 })];
      if (cmd === "delete_workflow") {
        deleted.push(args);
        return null;
      }
      throw new Error(`unexpected command ${cmd}`);
    });
    renderPage();

    await userEvent.click(await screen.findByTestId("workflow-delete"));
    const dialog = await screen.findByTestId("delete-dialog");
    expect(dialog).toHaveTextContent("2 runs are still going");
    expect(deleted).toEqual([]);
    await userEvent.click(within(dialog).getByTestId("delete-confirm"));
    expect(await screen.findByTestId("workflows-notice")).toHaveTextContent("Deleted “Welcome series”.");
    expect(deleted).toEqual([{ name: "Welcome series" }]);
    expect(await screen.findByTestId("workflows-empty")).toBeInTheDocument();
  });
});
