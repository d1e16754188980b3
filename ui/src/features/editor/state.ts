// The editor's state: the draft's history, the selection, and the saved
// baseline that says whether there are unsaved changes. A reducer, so every
// change is one of a few named actions.

import type { WorkflowDef, WorkflowSummary } from "@/api";
import { edgeId } from "@/core/editor/graph";
import { type History, canRedo, canUndo, checkpoint, push, redo, replace, startHistory, undo } from "@/core/editor/history";
import { sameData } from "@/core/editor/stable";

export type Selection = { nodes: string[]; edges: string[] };

export type EditorState = {
  history: History<WorkflowDef>;
  selection: Selection;
  /** The def as last saved (or loaded): what "unsaved changes" compares to. */
  saved: WorkflowDef;
  summary: WorkflowSummary;
  /** The key of the last edit, so keystrokes in one field make one undo step. */
  coalesce: string | null;
};

export type EditorAction =
  /** An edit that undo takes back on its own; optionally selects nodes after it. */
  | { type: "edit"; def: WorkflowDef; select?: Selection; coalesce?: string }
  /** The start of a drag: the present becomes a step to come back to. */
  | { type: "checkpoint" }
  /** A step of a drag (not a step of its own). */
  | { type: "move"; def: WorkflowDef }
  | { type: "undo" }
  | { type: "redo" }
  | { type: "select"; selection: Selection }
  /** Ids selected or deselected on the canvas. */
  | { type: "selectionChange"; kind: "nodes" | "edges"; changes: { id: string; selected: boolean }[] }
  /** The def was saved as `summary`'s version. */
  | { type: "saved"; def: WorkflowDef; summary: WorkflowSummary }
  | { type: "status"; summary: WorkflowSummary };

export function initialState(summary: WorkflowSummary, def: WorkflowDef): EditorState {
  return { history: startHistory(def), selection: { nodes: [], edges: [] }, saved: def, summary, coalesce: null };
}

const NOTHING: Selection = { nodes: [], edges: [] };

/** Drops selected ids that no longer exist (after an undo, a delete). */
function keepExisting(sel: Selection, def: WorkflowDef): Selection {
  const ids = new Set(def.nodes.map((n) => n.id));
  const nodes = sel.nodes.filter((id) => ids.has(id));
  const edgeIds = new Set(def.edges.map(edgeId));
  const edges = sel.edges.filter((id) => edgeIds.has(id));
  return nodes.length === sel.nodes.length && edges.length === sel.edges.length ? sel : { nodes, edges };
}

export function editorReducer(state: EditorState, action: EditorAction): EditorState {
  switch (action.type) {
    case "edit": {
      const same = action.coalesce !== undefined && action.coalesce === state.coalesce;
      const history = same ? replace(state.history, action.def) : push(state.history, action.def);
      return {
        ...state,
        history,
        selection: action.select ?? keepExisting(state.selection, action.def),
        coalesce: action.coalesce ?? null,
      };
    }
    case "checkpoint":
      return { ...state, history: checkpoint(state.history), coalesce: null };
    case "move":
      return { ...state, history: replace(state.history, action.def) };
    case "undo": {
      if (!canUndo(state.history)) return state;
      const history = undo(state.history);
      return { ...state, history, selection: keepExisting(state.selection, history.present), coalesce: null };
    }
    case "redo": {
      if (!canRedo(state.history)) return state;
      const history = redo(state.history);
      return { ...state, history, selection: keepExisting(state.selection, history.present), coalesce: null };
    }
    case "select":
      return { ...state, selection: action.selection, coalesce: null };
    case "selectionChange": {
      const set = new Set(state.selection[action.kind]);
      for (const c of action.changes) {
        if (c.selected) set.add(c.id);
        else set.delete(c.id);
      }
      const list = [...set];
      const same = list.length === state.selection[action.kind].length && list.every((id) => state.selection[action.kind].includes(id));
      if (same) return state;
      return { ...state, selection: { ...state.selection, [action.kind]: list }, coalesce: null };
    }
    case "saved":
      return { ...state, saved: action.def, summary: action.summary };
    case "status":
      return { ...state, summary: action.summary };
  }
}

export function isDirty(state: EditorState): boolean {
  return !sameData(state.history.present, state.saved);
}

export { NOTHING };
