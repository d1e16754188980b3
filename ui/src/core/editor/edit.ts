// Edits of a workflow draft, as pure functions from one WorkflowDef to the
// next. The editor applies them and records each in its history; none of
// them reads the clock or makes random ids.

import type { EmailTemplate, Node, WorkflowDef } from "@/bindings";

import { exitsOf } from "./exits";
import type { Point } from "./graph";
import { nextNodeId } from "./ids";
import { type Kind, isTrigger, newNode } from "./kinds";
import { withOptional } from "./objects";

/** Vertical distance between a node and the one added below it. */
export const ROW_GAP = 150;

export function nodeIds(def: WorkflowDef): Set<string> {
  return new Set(def.nodes.map((n) => n.id));
}

export function findNode(def: WorkflowDef, id: string): Node | undefined {
  return def.nodes.find((n) => n.id === id);
}

/** Adds a node of `kind` at `position`; returns the new def and the node's id. */
export function addNode(def: WorkflowDef, kind: Kind, position: Point): { def: WorkflowDef; id: string } {
  const id = nextNodeId(kind, nodeIds(def));
  return { def: { ...def, nodes: [...def.nodes, newNode(kind, id, position)] }, id };
}

/** The first exit of `id` that leads nowhere yet, if any. */
export function freeExit(def: WorkflowDef, id: string): string | null {
  const node = findNode(def, id);
  if (!node) return null;
  const used = new Set(def.edges.filter((e) => e.from === id).map((e) => e.exit));
  return exitsOf(node).find((x) => !used.has(x)) ?? null;
}

/** Where a node added after `id` goes: below it, shifted right per exit index. */
export function placeAfter(def: WorkflowDef, id: string, exit: string | null): Point {
  const node = findNode(def, id);
  if (!node) return { x: 0, y: 0 };
  const exits = exitsOf(node);
  const i = exit ? Math.max(0, exits.indexOf(exit)) : 0;
  return { x: node.position.x + i * 280, y: node.position.y + ROW_GAP };
}

/** Where a node goes when nothing is selected: under everything else. */
export function placeAtBottom(def: WorkflowDef): Point {
  if (def.nodes.length === 0) return { x: 0, y: 0 };
  const lowest = def.nodes.reduce((a, b) => (b.position.y > a.position.y ? b : a));
  return { x: lowest.position.x, y: lowest.position.y + ROW_GAP };
}

/**
 * Adds a node of `kind` after node `after` (placed below it and connected
 * from its first free exit, when it has one and the new node can take an
 * input), or under everything when `after` is null.
 */
export function addNodeAfter(
  def: WorkflowDef,
  kind: Kind,
  after: string | null,
): { def: WorkflowDef; id: string } {
  const exit = after ? freeExit(def, after) : null;
  const position = after ? placeAfter(def, after, exit) : placeAtBottom(def);
  const added = addNode(def, kind, position);
  if (after && exit && !isTrigger(kind)) {
    return { def: connect(added.def, { from: after, exit, to: added.id }), id: added.id };
  }
  return added;
}

/** Removes nodes and every edge that touches them. */
export function removeNodes(def: WorkflowDef, ids: ReadonlySet<string>): WorkflowDef {
  if (ids.size === 0) return def;
  return {
    ...def,
    nodes: def.nodes.filter((n) => !ids.has(n.id)),
    edges: def.edges.filter((e) => !ids.has(e.from) && !ids.has(e.to)),
  };
}

/** Removes edges by (from, exit, to). */
export function removeEdges(
  def: WorkflowDef,
  edges: readonly { from: string; exit: string; to: string }[],
): WorkflowDef {
  if (edges.length === 0) return def;
  const gone = new Set(edges.map((e) => `${e.from}\u0000${e.exit}\u0000${e.to}`));
  return { ...def, edges: def.edges.filter((e) => !gone.has(`${e.from}\u0000${e.exit}\u0000${e.to}`)) };
}

/** Why a connection is refused, or null when it may be made. */
export function connectionProblem(def: WorkflowDef, from: string, exit: string, to: string): string | null {
  const source = findNode(def, from);
  const target = findNode(def, to);
  if (!source || !target) return "both ends must be nodes";
  if (from === to) return "a node cannot lead to itself";
  if (isTrigger(target.kind)) return "a trigger starts runs; nothing leads into it";
  if (!exitsOf(source).includes(exit)) return `this node has no exit "${exit}"`;
  return null;
}

/**
 * Connects exit `exit` of `from` to `to`. An exit leads to one place, so an
 * earlier edge from the same exit is replaced. Refused connections (see
 * `connectionProblem`) leave the def as it was.
 */
export function connect(def: WorkflowDef, e: { from: string; exit: string; to: string }): WorkflowDef {
  if (connectionProblem(def, e.from, e.exit, e.to) !== null) return def;
  const existing = def.edges.find((x) => x.from === e.from && x.exit === e.exit);
  if (existing && existing.to === e.to) return def;
  return {
    ...def,
    edges: [...def.edges.filter((x) => !(x.from === e.from && x.exit === e.exit)), { from: e.from, exit: e.exit, to: e.to }],
  };
}

/** Moves one node. */
export function moveNode(def: WorkflowDef, id: string, position: Point): WorkflowDef {
  return {
    ...def,
    nodes: def.nodes.map((n) => (n.id === id ? { ...n, position: { x: position.x, y: position.y } } : n)),
  };
}

/**
 * Replaces node `id` with `next` (same id). Edges follow the node's exits:
 * a renamed branch path or split variant keeps its edge under the new name, and the edge of
 * an exit that no longer exists (a removed path, an error exit turned off)
 * is dropped.
 */
export function updateNode(def: WorkflowDef, id: string, next: Node): WorkflowDef {
  const prev = findNode(def, id);
  if (!prev) return def;
  const renamed = new Map<string, string>();
  const named = (n: Node): string[] | null =>
    n.kind === "branch" ? n.config.paths.map((p) => p.name) : n.kind === "split" ? n.config.variants.map((v) => v.name) : null;
  const before = named(prev);
  const after = named(next);
  if (before && after && prev.kind === next.kind) {
    if (before.length === after.length) {
      before.forEach((p, i) => {
        const q = after[i]!;
        if (p !== q) renamed.set(p, q);
      });
    }
  }
  const exits = new Set(exitsOf(next));
  const edges = def.edges
    .map((e) => (e.from === id && renamed.has(e.exit) ? { ...e, exit: renamed.get(e.exit)! } : e))
    .filter((e) => e.from !== id || exits.has(e.exit));
  return { ...def, nodes: def.nodes.map((n) => (n.id === id ? next : n)), edges };
}

/** Adds or replaces (by name `name`) an email template of the workflow. */
export function putTemplate(def: WorkflowDef, name: string | null, template: EmailTemplate): WorkflowDef {
  const list = def.email_templates ?? [];
  const at = name === null ? -1 : list.findIndex((t) => t.name === name);
  const templates = at >= 0 ? list.map((t, i) => (i === at ? template : t)) : [...list, template];
  let nodes = def.nodes;
  if (name !== null && at >= 0 && name !== template.name) {
    // A renamed template stays the one its senders send.
    nodes = def.nodes.map((n) =>
      n.kind === "action.send_email" && n.config.template === name
        ? { ...n, config: { ...n.config, template: template.name } }
        : n,
    );
  }
  return { ...def, nodes, email_templates: templates };
}

/** Removes an email template (its senders keep the name and show an issue). */
export function removeTemplate(def: WorkflowDef, name: string): WorkflowDef {
  const templates = (def.email_templates ?? []).filter((t) => t.name !== name);
  return withOptional(def, "email_templates", templates);
}

/** A template name not yet used in the workflow: "Email 1", "Email 2", … */
export function freeTemplateName(def: WorkflowDef, base = "Email"): string {
  const taken = new Set((def.email_templates ?? []).map((t) => t.name.toLowerCase()));
  for (let n = 1; ; n++) {
    const name = `${base} ${n}`;
    if (!taken.has(name.toLowerCase())) return name;
  }
}
