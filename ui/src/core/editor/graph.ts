// Model ↔ graph. The editor's truth is our own WorkflowDef; the canvas is a
// view of it. `toGraph` draws the def as canvas nodes and edges (the shape
// @xyflow/react takes); `toModel` folds canvas nodes and edges back into the
// def, keeping everything the canvas does not show (settings, goals,
// templates, requires) and every node's settings. Saving never looks at the
// canvas library's own state.

import type { Edge, Node, NodeCounts, WorkflowDef } from "@/bindings";

import { exitLabel, exitsOf } from "./exits";
import type { NodeIssues } from "./issues";
import type { TraceMark } from "./testRun";

/** What a canvas node carries: plain data only (no callbacks). */
export type StepData = {
  node: Node;
  exits: string[];
  issues: NodeIssues | null;
  /** This node's step in the test run shown, if it has one. */
  trace?: TraceMark | null;
  /** Live runs' steps here, when the run counts are shown. */
  counts?: NodeCounts | null;
};

export type Point = { x: number; y: number };

/** A canvas node, structurally an @xyflow/react `Node<StepData, "step">`. */
export type GraphNode = {
  id: string;
  type: "step";
  position: Point;
  data: StepData;
  selected?: boolean;
  measured?: { width?: number; height?: number };
};

/** A canvas edge from a node's exit handle to another node's input. */
export type GraphEdge = {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
  label?: string;
  selected?: boolean;
  data: { exit: string };
};

/** The one input handle every non-trigger node has. */
export const INPUT_HANDLE = "in";

/** A stable id for a model edge. */
export function edgeId(e: Edge): string {
  return `${e.from}:${e.exit}->${e.to}`;
}

export function toGraphNode(node: Node, issues: NodeIssues | null = null): GraphNode {
  return {
    id: node.id,
    type: "step",
    position: { x: node.position.x, y: node.position.y },
    data: { node, exits: exitsOf(node), issues },
  };
}

export function toGraphEdge(def: WorkflowDef, e: Edge): GraphEdge {
  const from = def.nodes.find((n) => n.id === e.from);
  const label = from ? exitLabel(from, e.exit) : e.exit;
  return {
    id: edgeId(e),
    source: e.from,
    sourceHandle: e.exit,
    target: e.to,
    targetHandle: INPUT_HANDLE,
    ...(label ? { label } : {}),
    data: { exit: e.exit },
  };
}

/** The def drawn as canvas nodes and edges. */
export function toGraph(def: WorkflowDef): { nodes: GraphNode[]; edges: GraphEdge[] } {
  return {
    nodes: def.nodes.map((n) => toGraphNode(n)),
    edges: def.edges.map((e) => toGraphEdge(def, e)),
  };
}

type NodeLike = { id: string; position: Point; data?: { node?: Node } };
type EdgeLike = { source: string; sourceHandle?: string | null; target: string };

/**
 * Folds canvas nodes and edges back into `def`: node positions, which
 * nodes exist (a canvas node unknown to `def` must carry its model node in
 * `data.node`), and the edges. Unchanged nodes and edges keep their
 * objects, so a round trip of an untouched graph gives back an equal def.
 */
export function toModel(def: WorkflowDef, nodes: NodeLike[], edges: EdgeLike[]): WorkflowDef {
  const byId = new Map(def.nodes.map((n) => [n.id, n]));
  const nextNodes: Node[] = [];
  for (const g of nodes) {
    const model = byId.get(g.id) ?? g.data?.node;
    if (!model) continue;
    const moved = model.position.x !== g.position.x || model.position.y !== g.position.y;
    nextNodes.push(moved ? { ...model, position: { x: g.position.x, y: g.position.y } } : model);
  }
  const present = new Set(nextNodes.map((n) => n.id));
  const oldEdges = new Map(def.edges.map((e) => [edgeId(e), e]));
  const nextEdges: Edge[] = [];
  for (const g of edges) {
    if (!present.has(g.source) || !present.has(g.target)) continue;
    const e: Edge = { from: g.source, exit: g.sourceHandle ?? "next", to: g.target };
    nextEdges.push(oldEdges.get(edgeId(e)) ?? e);
  }
  return { ...def, nodes: nextNodes, edges: nextEdges };
}
