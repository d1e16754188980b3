import { describe, expect, it } from "vitest";

import type { WorkflowDef, WorkflowSummary } from "@/api";
import { addNodeAfter, removeNodes } from "@/core/editor/edit";
import { edgeId } from "@/core/editor/graph";

import { editorReducer, initialState, isDirty } from "./state";

const summary: WorkflowSummary = {
  id: 1,
  name: "W",
  status: "draft",
  version: 1,
  created_at: "2025-01-01T00:00:00Z",
  updated_at: "2025-01-01T00:00:00Z",
};
const empty: WorkflowDef = {
  format: "cairn.workflow",
  version: 1,
  name: "W",
  settings: { timezone: "UTC", reentry: "one_at_a_time" },
  nodes: [],
  edges: [],
};

function withTwoNodes() {
  const a = addNodeAfter(empty, "trigger.manual", null);
  const b = addNodeAfter(a.def, "action.add_tag", a.id);
  return b.def;
}

describe("the editor's state", () => {
  it("undoes a delete, node and edges, and keeps the selection to what exists", () => {
    const def = withTwoNodes();
    let s = initialState(summary, def);
    s = editorReducer(s, { type: "select", selection: { nodes: ["add_tag_1"], edges: [edgeId(def.edges[0]!)] } });
    s = editorReducer(s, { type: "edit", def: removeNodes(def, new Set(["add_tag_1"])) });
    expect(s.history.present.nodes.map((n) => n.id)).toEqual(["manual_1"]);
    expect(s.selection).toEqual({ nodes: [], edges: [] });
    s = editorReducer(s, { type: "undo" });
    expect(s.history.present).toBe(def);
    expect(s.history.present.edges).toHaveLength(1);
    s = editorReducer(s, { type: "redo" });
    expect(s.history.present.nodes).toHaveLength(1);
  });

  it("makes one undo step of the keystrokes in one field", () => {
    const def = withTwoNodes();
    let s = initialState(summary, def);
    const typed = (tag: string): WorkflowDef => ({
      ...def,
      nodes: def.nodes.map((n) => (n.kind === "action.add_tag" ? { ...n, config: { tag } } : n)),
    });
    for (const text of ["v", "vi", "vip"]) s = editorReducer(s, { type: "edit", def: typed(text), coalesce: "add_tag_1.tag" });
    expect(s.history.past).toHaveLength(1);
    // Another field starts a new step.
    s = editorReducer(s, { type: "edit", def: { ...typed("vip"), name: "X" }, coalesce: "name" });
    expect(s.history.past).toHaveLength(2);
    s = editorReducer(s, { type: "undo" });
    s = editorReducer(s, { type: "undo" });
    expect(s.history.present).toBe(def);
  });

  it("takes a drag back in one undo", () => {
    const def = withTwoNodes();
    let s = initialState(summary, def);
    s = editorReducer(s, { type: "checkpoint" });
    for (const y of [10, 20, 30]) {
      const moved = { ...s.history.present, nodes: s.history.present.nodes.map((n, i) => (i === 0 ? { ...n, position: { x: 0, y } } : n)) };
      s = editorReducer(s, { type: "move", def: moved });
    }
    expect(s.history.present.nodes[0]!.position.y).toBe(30);
    s = editorReducer(s, { type: "undo" });
    expect(s.history.present).toBe(def);
  });

  it("applies canvas selection changes and knows about unsaved changes", () => {
    const def = withTwoNodes();
    let s = initialState(summary, def);
    expect(isDirty(s)).toBe(false);
    s = editorReducer(s, { type: "selectionChange", kind: "nodes", changes: [{ id: "manual_1", selected: true }] });
    s = editorReducer(s, { type: "selectionChange", kind: "nodes", changes: [{ id: "add_tag_1", selected: true }, { id: "manual_1", selected: false }] });
    expect(s.selection.nodes).toEqual(["add_tag_1"]);
    const renamed = { ...def, name: "Renamed" };
    s = editorReducer(s, { type: "edit", def: renamed });
    expect(isDirty(s)).toBe(true);
    s = editorReducer(s, { type: "saved", def: renamed, summary: { ...summary, name: "Renamed" } });
    expect(isDirty(s)).toBe(false);
    // Same data in another key order is not a change.
    const reordered = Object.fromEntries(Object.entries(renamed).reverse()) as WorkflowDef;
    s = editorReducer(s, { type: "edit", def: reordered });
    expect(isDirty(s)).toBe(false);
  });
});
