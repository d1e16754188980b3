// Auto-layout: the workflow drawn top-down in layers with dagre
// (@dagrejs/dagre). Dagre is small and synchronous and is made for exactly
// this shape (a mostly forward flow with a few branches), so a layout is
// one undoable edit like any other.

import dagre from "@dagrejs/dagre";

import type { WorkflowDef } from "@/bindings";

import type { Point } from "./graph";

/** The size a node is laid out with when the canvas has not measured it. */
export const NODE_SIZE = { width: 248, height: 88 };

export type Sizes = ReadonlyMap<string, { width?: number; height?: number }>;

/**
 * New positions for every node: layers from the triggers down, exits
 * spread left to right in their display order. Node positions are their
 * top-left corners, as on the canvas.
 */
export function layoutPositions(def: WorkflowDef, sizes: Sizes = new Map()): Map<string, Point> {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: 56, ranksep: 72, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  const size = (id: string) => {
    const s = sizes.get(id);
    return { width: s?.width ?? NODE_SIZE.width, height: s?.height ?? NODE_SIZE.height };
  };
  for (const n of def.nodes) g.setNode(n.id, size(n.id));
  const ids = new Set(def.nodes.map((n) => n.id));
  def.edges.forEach((e, i) => {
    if (ids.has(e.from) && ids.has(e.to)) g.setEdge(e.from, e.to, {}, `${i}:${e.exit}`);
  });
  dagre.layout(g);
  const out = new Map<string, Point>();
  for (const n of def.nodes) {
    const laid = g.node(n.id) as { x: number; y: number; width: number; height: number } | undefined;
    if (!laid) continue;
    out.set(n.id, { x: Math.round(laid.x - laid.width / 2), y: Math.round(laid.y - laid.height / 2) });
  }
  return out;
}

/** The def with every node at its laid-out position. */
export function autoLayout(def: WorkflowDef, sizes?: Sizes): WorkflowDef {
  const pos = layoutPositions(def, sizes);
  return {
    ...def,
    nodes: def.nodes.map((n) => {
      const p = pos.get(n.id);
      return p ? { ...n, position: p } : n;
    }),
  };
}
