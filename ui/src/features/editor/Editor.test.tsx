import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { RouterProvider, createMemoryRouter } from "react-router";
import { afterEach, beforeAll, describe, expect, it } from "vitest";

import type { CatalogNames, Issue, WorkflowDef, WorkflowSummary } from "@/api";

import { keepDraft, keptDraftKey } from "@/core/editor/recovery";

import { EditorPage } from "./EditorPage";

// React Flow measures nodes with ResizeObserver and reads the zoom from a
// DOMMatrix; jsdom has neither (as in React Flow's own testing guide).
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
    m22: number;
    constructor(transform?: string) {
      const scale = /scale\(([\d.]+)\)/.exec(transform ?? "")?.[1];
      this.m22 = scale !== undefined ? Number(scale) : 1;
    }
  }
  Object.assign(globalThis, { ResizeObserver, DOMMatrixReadOnly });
  Object.defineProperties(HTMLElement.prototype, {
    offsetHeight: { configurable: true, get: () => 80 },
    offsetWidth: { configurable: true, get: () => 248 },
  });
});

afterEach(() => {
  // Unmount first: the watch stops listening to cairn://change through the mocks.
  cleanup();
  clearMocks();
});

const summary: WorkflowSummary = {
  id: 3,
  name: "Welcome",
  status: "active",
  version: 1,
  created_at: "2025-03-01T09:00:00Z",
  updated_at: "2025-03-01T09:00:00Z",
};

const welcome: WorkflowDef = {
  format: "cairn.workflow",
  version: 1,
  name: "Welcome",
  settings: { timezone: "UTC", reentry: "one_at_a_time" },
  nodes: [
    { id: "start", position: { x: 0, y: 0 }, kind: "trigger.manual", config: {} },
    { id: "vip", position: { x: 0, y: 150 }, kind: "action.add_tag", config: { tag: "vip" } },
    { id: "done", position: { x: 0, y: 300 }, kind: "end", config: {} },
  ],
  edges: [
    { from: "start", exit: "next", to: "vip" },
    { from: "vip", exit: "next", to: "done" },
  ],
};

const catalog: CatalogNames = {
  tags: ["vip", "lead"],
  fields: [],
  accounts: [{ name: "Gmail", kind: "smtp" }],
  pipelines: [],
  courses: [],
  workflows: ["Welcome", "Onboarding"],
};

/** The Rust side: validation flags tag nodes without a tag; saves are recorded. */
const forecasts: unknown[] = [];

function backend(def: WorkflowDef = welcome) {
  const saved: unknown[] = [];
  forecasts.length = 0;
  mockIPC((cmd, args) => {
    if (cmd === "get_workflow") return [summary, def];
    if (cmd === "workflow_catalog") return catalog;
    if (cmd === "validate_workflow") {
      const { draft } = args as { draft: WorkflowDef };
      const issues: Issue[] = draft.nodes.flatMap((n) =>
        (n.kind === "action.add_tag" || n.kind === "action.remove_tag") && !n.config.tag
          ? [{ severity: "error" as const, code: "missing_setting", node: n.id, message: "the tag is not set" }]
          : [],
      );
      return { issues };
    }
    if (cmd === "forecast_workflow") {
      forecasts.push(args);
      const none = {
        runs_started: 0,
        emails: {},
        emails_total: 0,
        emails_refused: 0,
        tags_added: 0,
        tags_removed: 0,
        fields_set: 0,
        deals: 0,
        course_enrollments: 0,
        course_unenrollments: 0,
        webhooks: 0,
        notifications: 0,
        workflows_started: 0,
        workflows_removed: 0,
        unsubscribes: 0,
        failures: 0,
      };
      return {
        workflow: "Welcome",
        version: 2,
        active: true,
        start: "2025-03-01T09:00:00Z",
        end: "2025-03-31T09:00:00Z",
        days: 30,
        subscribed_contacts: 10,
        windows: [{ days: 1, counts: none }],
        per_day: [none],
        paths: [],
        assumptions: [],
        confirm: [],
      };
    }
    if (cmd === "save_workflow") {
      saved.push(args);
      return { id: 3, version: 2, new_version: true, unchanged: false, report: { issues: [] } };
    }
    throw new Error(`unexpected command ${cmd}`);
  });
  return saved;
}

function renderEditor() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  // A data router, as in the app: the leave guard needs one.
  const router = createMemoryRouter(
    [
      { path: "/workflows/:workflowId", element: <EditorPage /> },
      { path: "/workflows", element: <p data-testid="list">list</p> },
    ],
    { initialEntries: ["/workflows/3"] },
  );
  return render(
    <QueryClientProvider client={client}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
}

const nodeIds = () => screen.queryAllByTestId("canvas-node").map((n) => n.getAttribute("data-node-id"));

describe("the editor", () => {
  it("adds a node from the palette, shows validation on it, saves our own model and undoes", async () => {
    const saved = backend();
    renderEditor();
    expect(await screen.findByTestId("editor-name")).toHaveTextContent("Welcome");
    expect(nodeIds()).toEqual(["start", "vip", "done"]);

    // Click-to-add after the selected node: selected, placed and connected.
    fireEvent.click(screen.getByTestId("palette-action.remove_tag"));
    expect(await screen.findByTestId("inspector-title")).toHaveTextContent("Remove tag");
    expect(nodeIds()).toEqual(["start", "vip", "done", "remove_tag_1"]);

    // The core's validation lands on the node and in the problems list.
    const node = () => screen.getAllByTestId("canvas-node").find((n) => n.getAttribute("data-node-id") === "remove_tag_1")!;
    await screen.findByText("the tag is not set", { selector: "[data-testid=problem-row] span" });
    // The canvas takes the issues on its next render: wait for it too.
    await waitFor(() => expect(node()).toHaveAttribute("data-severity", "error"));
    expect(within(node()).getByTestId("node-issue")).toHaveTextContent("the tag is not set");

    await userEvent.type(screen.getByTestId("config-tag"), "lead");
    expect(within(node()).getByText("Remove lead")).toBeInTheDocument();
    await screen.findByText("Ready to activate");
    await waitFor(() => expect(node()).toHaveAttribute("data-severity", "none"));

    // Saving changes to an active workflow shows the forecast of the new
    // version first (the draft itself goes to the forecast).
    fireEvent.click(screen.getByTestId("editor-save"));
    const confirm = await screen.findByTestId("activate-confirm");
    expect(screen.getByTestId("activate-dialog")).toHaveTextContent("Save the changes to “Welcome”?");
    expect(saved).toHaveLength(0);
    await waitFor(() => expect(confirm).toBeEnabled());
    expect((forecasts[0] as { draft: WorkflowDef }).draft.nodes.map((n) => n.id)).toContain("remove_tag_1");
    // Save sends the WorkflowDef itself: no canvas state in it.
    fireEvent.click(confirm);
    expect(await screen.findByTestId("save-status")).toHaveTextContent(
      "Version 2 saved. Runs already going stay on version 1.",
    );
    expect(saved).toHaveLength(1);
    const { id, draft } = saved[0] as { id: number; draft: WorkflowDef };
    expect(id).toBe(3);
    expect(Object.keys(draft).sort()).toEqual(["edges", "format", "name", "nodes", "settings", "version"]);
    const added = draft.nodes.find((n) => n.id === "remove_tag_1")!;
    expect(Object.keys(added).sort()).toEqual(["config", "id", "kind", "position"]);
    expect(added.config).toEqual({ tag: "lead" });
    expect(draft.nodes.slice(0, 3)).toEqual(welcome.nodes);
    expect(draft.edges).toEqual(welcome.edges);

    // Undo takes the keystrokes back as one step, then the node.
    fireEvent.keyDown(window, { key: "z", ctrlKey: true });
    expect(within(node()).getByText("Remove …")).toBeInTheDocument();
    fireEvent.keyDown(window, { key: "z", ctrlKey: true });
    expect(nodeIds()).toEqual(["start", "vip", "done"]);
    fireEvent.keyDown(window, { key: "y", ctrlKey: true });
    expect(nodeIds()).toEqual(["start", "vip", "done", "remove_tag_1"]);
  });

  it("copies and pastes with new ids, and deletes with the keyboard", async () => {
    backend();
    renderEditor();
    await screen.findByTestId("editor-name");
    fireEvent.click(screen.getAllByTestId("canvas-node").find((n) => n.getAttribute("data-node-id") === "vip")!);
    await screen.findByText("Add tag", { selector: "[data-testid=inspector-title]" });
    fireEvent.keyDown(window, { key: "c", ctrlKey: true });
    fireEvent.keyDown(window, { key: "v", ctrlKey: true });
    expect(nodeIds()).toEqual(["start", "vip", "done", "add_tag_1"]);
    // The pasted node is selected; Delete removes it.
    fireEvent.keyDown(window, { key: "Delete" });
    expect(nodeIds()).toEqual(["start", "vip", "done"]);
  });

  it("leaves at once when nothing changed", async () => {
    backend();
    renderEditor();
    await screen.findByTestId("editor-name");
    fireEvent.click(screen.getByTestId("editor-back"));
    expect(await screen.findByTestId("list")).toBeInTheDocument();
  });

  it("holds the way out while there are unsaved changes", async () => {
    backend();
    renderEditor();
    await screen.findByTestId("editor-name");
    fireEvent.click(screen.getByTestId("palette-trigger.manual"));
    await screen.findByTestId("inspector-title");
    fireEvent.click(screen.getByTestId("editor-back"));
    const dialog = await screen.findByTestId("leave-dialog");
    fireEvent.click(within(dialog).getByTestId("leave-stay"));
    expect(screen.queryByTestId("leave-dialog")).not.toBeInTheDocument();
    expect(screen.getByTestId("editor")).toHaveAttribute("data-dirty", "true");
    fireEvent.click(screen.getByTestId("editor-back"));
    fireEvent.click(within(await screen.findByTestId("leave-dialog")).getByTestId("leave-discard"));
    expect(await screen.findByTestId("list")).toBeInTheDocument();
  });

  it("offers back a draft an earlier session never saved", async () => {
    backend();
    const unsaved: WorkflowDef = { ...welcome, nodes: welcome.nodes.slice(0, 2), edges: welcome.edges.slice(0, 1) };
    localStorage.setItem(keptDraftKey(3), keepDraft(3, 1, unsaved, new Date("2026-03-02T10:42:00Z")));
    renderEditor();
    const banner = await screen.findByTestId("recovery-banner");
    expect(banner).toHaveTextContent("were never saved");
    expect(nodeIds()).toEqual(["start", "vip", "done"]);
    fireEvent.click(within(banner).getByTestId("recovery-restore"));
    expect(nodeIds()).toEqual(["start", "vip"]);
    expect(screen.getByTestId("editor")).toHaveAttribute("data-dirty", "true");
    expect(screen.queryByTestId("recovery-banner")).not.toBeInTheDocument();
    localStorage.clear();
  });

  it("opens a large workflow without ever drawing the nodes out of view", async () => {
    // 400 tag steps in a column, 200 px apart: a pane of a few hundred
    // pixels shows a handful. React Flow draws a node it knows no handle
    // positions for once to measure it; the canvas gives them, so the
    // others are never put in the page (docs/BENCHMARKS.md, "Editor").
    const nodes: WorkflowDef["nodes"] = [
      { id: "start", position: { x: 0, y: 0 }, kind: "trigger.manual", config: {} },
      ...Array.from({ length: 399 }, (_, i) => ({
        id: `t${i}`,
        position: { x: 0, y: 200 * (i + 1) },
        kind: "action.add_tag" as const,
        config: { tag: "vip" },
      })),
    ];
    const edges = nodes.slice(1).map((n, i) => ({ from: nodes[i]!.id, exit: "next", to: n.id }));
    backend({ ...welcome, nodes, edges });
    let most = 0;
    const watch = new MutationObserver(() => {
      most = Math.max(most, document.querySelectorAll(".react-flow__node").length);
    });
    watch.observe(document.body, { childList: true, subtree: true });
    renderEditor();
    expect(await screen.findByTestId("editor-name")).toHaveTextContent("Welcome");
    await waitFor(() => expect(nodeIds().length).toBeGreaterThan(0));
    watch.disconnect();
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThan(20);
  });
});
