import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { emit } from "@tauri-apps/api/event";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { RouterProvider, createMemoryRouter } from "react-router";
import { afterEach, beforeAll, describe, expect, it } from "vitest";

import type { CatalogNames, NodeCounts, Step, StepDetail, TestRun, TestRunRequest, WorkflowDef, WorkflowSummary } from "@/api";

import { EditorPage } from "./EditorPage";

// As in Editor.test.tsx: jsdom lacks what React Flow measures with.
beforeAll(() => {
  class ResizeObserver {
    constructor(private cb: ResizeObserverCallback) {}
    observe(target: Element) {
      this.cb([{ target } as ResizeObserverEntry], this);
    }
    unobserve() {}
    disconnect() {}
  }
  class DOMMatrixReadOnly {
    m22 = 1;
  }
  Object.assign(globalThis, { ResizeObserver, DOMMatrixReadOnly });
  Object.defineProperties(HTMLElement.prototype, {
    offsetHeight: { configurable: true, get: () => 80 },
    offsetWidth: { configurable: true, get: () => 248 },
  });
});

// Unmount first: the listeners stop through the mocked event plugin.
afterEach(() => {
  cleanup();
  clearMocks();
});

const summary: WorkflowSummary = {
  id: 5,
  name: "Post-purchase",
  status: "paused",
  version: 1,
  created_at: "2026-03-01T09:00:00Z",
  updated_at: "2026-03-01T09:00:00Z",
};

const flow: WorkflowDef = {
  format: "cairn.workflow",
  version: 1,
  name: "Post-purchase",
  settings: { timezone: "UTC", reentry: "one_at_a_time" },
  nodes: [
    {
      id: "paid",
      position: { x: 0, y: 0 },
      kind: "trigger.purchase_completed",
      config: { filters: [{ path: "product", op: "eq", value: "Program A" }, { path: "amount", op: "gte", value: 100 }] },
    },
    { id: "receipt", position: { x: 0, y: 150 }, kind: "action.send_email", config: { template: "Receipt", account: "Gmail" } },
    { id: "later", position: { x: 0, y: 300 }, kind: "wait.duration", config: { duration: "2d" } },
    { id: "tag", position: { x: 0, y: 450 }, kind: "action.add_tag", config: { tag: "buyer" } },
  ],
  edges: [
    { from: "paid", exit: "next", to: "receipt" },
    { from: "receipt", exit: "next", to: "later" },
    { from: "later", exit: "next", to: "tag" },
  ],
  email_templates: [{ name: "Receipt", subject: "Your {{ trigger.product }} receipt", body: "Hi {{ contact.first_name }}, order {{ trigger.order_id }}." }],
};

const catalog: CatalogNames = { tags: ["buyer"], fields: [], accounts: [{ name: "Gmail", kind: "smtp" }], pipelines: [], courses: [], workflows: ["Post-purchase"] };

function step(id: number, node: string, kind: string, status: Step["status"], detail: StepDetail | null = null): Step {
  return { id, run_id: 7, node_id: node, kind, status, exit: status === "ok" ? "next" : null, detail, started_at: "2026-03-02T09:00:00Z", finished_at: null, attempts: 1 };
}

const email: StepDetail = {
  sent: false,
  note: "dry run: nothing was sent",
  effect: {
    kind: "email",
    account: "Gmail",
    to: "tess@example.com",
    to_name: "Tess",
    subject: "Your Program A receipt",
    html: "<p>Hi Tess</p>",
    text: "Hi Tess, order A-1.",
    message_id: "<cairn-7-receipt@example.com>",
    list_unsubscribe: null,
    template: "Receipt",
    contact_id: 9,
  },
};

function runOf(status: TestRun["run"]["status"], steps: Step[], current: string | null, waitUntil: string | null, mode: TestRun["run"]["mode"] = "dry_run"): TestRun {
  return {
    run: {
      id: 7,
      workflow_id: 5,
      workflow: "Post-purchase",
      version: 1,
      contact_id: 9,
      contact_email: "tess@example.com",
      trigger_node: "paid",
      trigger_event_id: null,
      trigger_payload: {},
      status,
      current_node: current,
      exit_reason: null,
      goal: null,
      converted: false,
      mode,
      started_at: "2026-03-02T09:00:00Z",
      ended_at: null,
      retries: 0,
      restarted_from: null,
    },
    steps,
    wait_until: waitUntil,
  };
}

const waiting = runOf(
  "waiting",
  [step(1, "paid", "trigger.purchase_completed", "ok"), step(2, "receipt", "action.send_email", "ok", email), step(3, "later", "wait.duration", "waiting", { until: "2026-03-04T09:00:00Z" })],
  "later",
  "2026-03-04T09:00:00Z",
);
const completed = runOf(
  "completed",
  [...waiting.steps.slice(0, 2), step(3, "later", "wait.duration", "ok"), step(4, "tag", "action.add_tag", "ok", { tag: "buyer", changed: true })],
  null,
  null,
);

type Calls = { cmd: string; args: Record<string, unknown> }[];

/** The Rust side of the editor and the test run commands; every call is recorded. */
function backend(answers: { getRun?: () => TestRun; counts?: () => NodeCounts[] } = {}): Calls {
  const calls: Calls = [];
  mockIPC(
    (cmd, args) => {
      calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
      if (cmd === "get_workflow") return [summary, flow];
      if (cmd === "workflow_catalog") return catalog;
      if (cmd === "validate_workflow") return { issues: [] };
      if (cmd === "save_workflow") return { id: 5, version: 2, new_version: false, unchanged: false, report: { issues: [] } };
      if (cmd === "add_contact") return { id: 9, email: "tess@example.com" };
      if (cmd === "start_test_run") return waiting;
      if (cmd === "get_test_run") return answers.getRun?.() ?? waiting;
      if (cmd === "skip_test_wait") return completed;
      if (cmd === "workflow_node_counts") return answers.counts?.() ?? [];
      throw new Error(`unexpected command ${cmd}`);
    },
    { shouldMockEvents: true },
  );
  return calls;
}

function renderEditor() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const router = createMemoryRouter([{ path: "/workflows/:workflowId", element: <EditorPage /> }], { initialEntries: ["/workflows/5"] });
  return render(
    <QueryClientProvider client={client}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
}

const canvasNode = (id: string) => screen.getAllByTestId("canvas-node").find((n) => n.getAttribute("data-node-id") === id)!;

async function openPanel() {
  renderEditor();
  await screen.findByTestId("editor-name");
  fireEvent.click(screen.getByTestId("editor-test"));
  return screen.findByTestId("test-run-panel");
}

// A whole editor with React Flow renders several times per step: give the
// flows room on a busy machine (it waits on conditions, never sleeps).
const LONG = 20_000;

describe("the test run panel", { timeout: LONG }, () => {
  it("dry-runs the saved workflow for a new test contact, lights the steps and skips the wait", async () => {
    const calls = backend();
    const panel = await openPanel();
    // It asks for the payload fields the trigger's filters and the email use.
    expect(within(panel).getByLabelText("product")).toBeInTheDocument();
    expect(within(panel).getByLabelText("amount")).toBeInTheDocument();
    expect(within(panel).getByLabelText("order_id")).toBeInTheDocument();
    expect(within(panel).getByText('filter: gte 100')).toBeInTheDocument();

    fireEvent.change(within(panel).getByTestId("test-email"), { target: { value: "tess@example.com" } });
    fireEvent.change(within(panel).getByTestId("test-name"), { target: { value: "Tess" } });
    fireEvent.change(within(panel).getByTestId("payload-product"), { target: { value: "Program A" } });
    fireEvent.change(within(panel).getByTestId("payload-amount"), { target: { value: "150" } });
    fireEvent.click(within(panel).getByTestId("test-run-start"));

    expect(await within(panel).findByTestId("test-email-subject")).toHaveTextContent("Your Program A receipt");
    const added = calls.find((c) => c.cmd === "add_contact")!.args.input as { email: string; name: string; is_test: boolean };
    expect(added).toMatchObject({ email: "tess@example.com", name: "Tess", is_test: true });
    const request = calls.find((c) => c.cmd === "start_test_run")!.args.request as TestRunRequest;
    expect(request).toEqual({
      workflow: "Post-purchase",
      contact_email: "tess@example.com",
      trigger: "paid",
      payload: { product: "Program A", amount: 150 },
      mode: "dry_run",
    });
    // Nothing was unsaved, so nothing was saved.
    expect(calls.some((c) => c.cmd === "save_workflow")).toBe(false);

    // The canvas lights up the steps the run took; the wait is where it is.
    await waitFor(() => expect(canvasNode("receipt")).toHaveAttribute("data-trace", "ok"));
    expect(canvasNode("later")).toHaveAttribute("data-trace", "waiting");
    expect(canvasNode("tag")).toHaveAttribute("data-trace", "none");
    expect(within(panel).getByTestId("test-run-status")).toHaveTextContent("Waiting");

    fireEvent.click(within(panel).getByTestId("test-run-skip"));
    await waitFor(() => expect(within(panel).getByTestId("test-run-status")).toHaveTextContent("Completed"));
    expect(calls.find((c) => c.cmd === "skip_test_wait")!.args).toEqual({ runId: 7 });
    await waitFor(() => expect(canvasNode("tag")).toHaveAttribute("data-trace", "ok"));
    expect(canvasNode("later")).toHaveAttribute("data-trace", "ok");
    expect(within(panel).queryByTestId("test-run-skip")).not.toBeInTheDocument();
    expect(within(panel).getByText("Tag “buyer”")).toBeInTheDocument();

    // Closing the panel puts the canvas back as it was.
    fireEvent.click(within(panel).getByTestId("test-run-close"));
    expect(canvasNode("tag")).toHaveAttribute("data-trace", "none");
    expect(screen.getByTestId("inspector")).toBeInTheDocument();
  });

  it("reloads the run when the shell says one of its steps changed", async () => {
    let answer = waiting;
    const calls = backend({ getRun: () => answer });
    const panel = await openPanel();
    fireEvent.click(within(panel).getByTestId("test-mode-test"));
    fireEvent.change(within(panel).getByTestId("test-email"), { target: { value: "tess@example.com" } });
    fireEvent.click(within(panel).getByTestId("test-run-start"));
    await within(panel).findByTestId("test-run-steps");
    expect((calls.find((c) => c.cmd === "start_test_run")!.args.request as TestRunRequest).mode).toBe("test");
    await waitFor(() => expect(calls.some((c) => c.cmd === "get_test_run")).toBe(true));

    answer = completed;
    await act(() => emit("cairn://change", { type: "run_ended", run_id: 7, workflow_id: 5, status: "completed" }));
    await waitFor(() => expect(within(panel).getByTestId("test-run-status")).toHaveTextContent("Completed"));
    expect(canvasNode("tag")).toHaveAttribute("data-trace", "ok");
  });

  it("saves unsaved changes first and says why a payload is refused", async () => {
    const calls = backend();
    renderEditor();
    await screen.findByTestId("editor-name");
    fireEvent.click(screen.getByTestId("palette-action.remove_tag"));
    await screen.findByTestId("inspector-title");
    fireEvent.click(screen.getByTestId("editor-test"));
    const panel = await screen.findByTestId("test-run-panel");
    expect(within(panel).getByTestId("test-run-start")).toHaveTextContent("Save and start");

    fireEvent.change(within(panel).getByTestId("test-email"), { target: { value: "tess@example.com" } });
    fireEvent.click(within(panel).getByTestId("test-payload-mode"));
    fireEvent.change(within(panel).getByTestId("test-json"), { target: { value: "[1, 2]" } });
    fireEvent.click(within(panel).getByTestId("test-run-start"));
    expect(await within(panel).findByTestId("test-run-error")).toHaveTextContent("The payload must be a JSON object");
    expect(calls.some((c) => c.cmd === "start_test_run" || c.cmd === "save_workflow")).toBe(false);

    fireEvent.change(within(panel).getByTestId("test-json"), { target: { value: '{"product": "Program B"}' } });
    fireEvent.click(within(panel).getByTestId("test-run-start"));
    await within(panel).findByTestId("test-run-steps");
    const order = calls.map((c) => c.cmd).filter((c) => c === "save_workflow" || c === "start_test_run");
    expect(order).toEqual(["save_workflow", "start_test_run"]);
    expect((calls.find((c) => c.cmd === "start_test_run")!.args.request as TestRunRequest).payload).toEqual({ product: "Program B" });
  });

  it("shows a refusal from the engine in the panel", async () => {
    backend();
    mockIPC(
      (cmd) => {
        if (cmd === "get_workflow") return [summary, flow];
        if (cmd === "workflow_catalog") return catalog;
        if (cmd === "validate_workflow") return { issues: [] };
        if (cmd === "list_contacts") return [{ id: 9, email: "ann@example.com", name: "Ann" }];
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- the shell rejects with a plain {code, message}
        if (cmd === "start_test_run") throw { code: "not_found", message: 'no contact "ann@example.com"' };
        throw new Error(`unexpected command ${cmd}`);
      },
      { shouldMockEvents: true },
    );
    const panel = await openPanel();
    fireEvent.click(within(panel).getByTestId("test-contact-existing"));
    await within(panel).findByText("Ann <ann@example.com>");
    fireEvent.click(within(panel).getByTestId("test-run-start"));
    expect(await within(panel).findByTestId("test-run-error")).toHaveTextContent('no contact "ann@example.com"');
  });
});

describe("run counts on the canvas", { timeout: LONG }, () => {
  it("shows the live runs' counts per node when toggled, and refreshes them on a change", async () => {
    let passed = 3;
    const calls = backend({
      counts: () => [
        { node: "receipt", kind: "action.send_email", label: null, in_current_version: true, passed, waiting: 0, failed: 1, skipped: 0, exits: [] },
        { node: "later", kind: "wait.duration", label: null, in_current_version: true, passed: 1, waiting: 2, failed: 0, skipped: 0, exits: [] },
      ],
    });
    renderEditor();
    await screen.findByTestId("editor-name");
    expect(screen.queryByTestId("node-counts")).not.toBeInTheDocument();
    expect(calls.some((c) => c.cmd === "workflow_node_counts")).toBe(false);

    fireEvent.click(screen.getByTestId("tool-counts"));
    expect(screen.getByTestId("tool-counts")).toHaveAttribute("aria-pressed", "true");
    const badge = await waitFor(() => within(canvasNode("receipt")).getByTestId("node-counts"));
    expect(badge).toHaveAttribute("data-passed", "3");
    expect(badge).toHaveAttribute("data-failed", "1");
    expect(within(canvasNode("later")).getByTestId("node-counts")).toHaveAttribute("data-waiting", "2");
    expect(calls.find((c) => c.cmd === "workflow_node_counts")!.args).toEqual({ workflow: "Post-purchase" });

    // A burst of changes (a busy executor) is one read, not one per change.
    passed = 4;
    const reads = () => calls.filter((c) => c.cmd === "workflow_node_counts").length;
    const before = reads();
    await act(async () => {
      for (let run = 11; run < 61; run++) await emit("cairn://change", { type: "run_ended", run_id: run, workflow_id: 5, status: "completed" });
    });
    await waitFor(() => expect(within(canvasNode("receipt")).getByTestId("node-counts")).toHaveAttribute("data-passed", "4"));
    expect(reads()).toBe(before + 1);

    fireEvent.click(screen.getByTestId("tool-counts"));
    expect(screen.queryByTestId("node-counts")).not.toBeInTheDocument();
  });
});
