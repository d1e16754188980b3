// Copy and paste of nodes, within a workflow and between workflows.
//
// A copy holds the selected nodes, the edges between them (an edge to a
// node left behind is not copied) and the email templates the copied
// send-email nodes use, so a paste into another workflow brings its emails
// along. A paste gives every node a fresh readable id in the target
// workflow and rewires the copied edges to those ids.

import type { Edge, EmailTemplate, Node, WorkflowDef } from "@/bindings";

import type { Point } from "./graph";
import { nextNodeId } from "./ids";
import { sameData } from "./stable";

export const CLIP_FORMAT = "cairn.clipboard";

export type Clip = {
  format: typeof CLIP_FORMAT;
  version: 1;
  nodes: Node[];
  edges: Edge[];
  email_templates: EmailTemplate[];
};

/** The selected nodes of `def` as a clip, or null when none is selected. */
export function copyNodes(def: WorkflowDef, ids: Iterable<string>): Clip | null {
  const wanted = new Set(ids);
  const nodes = def.nodes.filter((n) => wanted.has(n.id));
  if (nodes.length === 0) return null;
  const inside = new Set(nodes.map((n) => n.id));
  const edges = def.edges.filter((e) => inside.has(e.from) && inside.has(e.to));
  const used = new Set(nodes.flatMap((n) => (n.kind === "action.send_email" ? [n.config.template] : [])));
  const email_templates = (def.email_templates ?? []).filter((t) => used.has(t.name));
  return { format: CLIP_FORMAT, version: 1, nodes, edges, email_templates };
}

/** Reads a clip back from text (the system clipboard); null when it is not one. */
export function parseClip(text: string): Clip | null {
  try {
    const v = JSON.parse(text) as Partial<Clip>;
    if (v.format !== CLIP_FORMAT || v.version !== 1 || !Array.isArray(v.nodes) || !Array.isArray(v.edges)) {
      return null;
    }
    return { format: CLIP_FORMAT, version: 1, nodes: v.nodes, edges: v.edges, email_templates: v.email_templates ?? [] };
  } catch {
    return null;
  }
}

/** How far a paste lands from the copied nodes when no place is given. */
export const PASTE_OFFSET: Point = { x: 40, y: 40 };

/**
 * Pastes `clip` into `def`. With `at`, the clip's top-left node corner goes
 * there; otherwise the nodes land PASTE_OFFSET from where they were copied.
 * Returns the new def and the pasted nodes' ids (in clip order).
 */
export function pasteClip(def: WorkflowDef, clip: Clip, at?: Point): { def: WorkflowDef; ids: string[] } {
  if (clip.nodes.length === 0) return { def, ids: [] };
  const minX = Math.min(...clip.nodes.map((n) => n.position.x));
  const minY = Math.min(...clip.nodes.map((n) => n.position.y));
  const dx = at ? at.x - minX : PASTE_OFFSET.x;
  const dy = at ? at.y - minY : PASTE_OFFSET.y;

  // Templates: same name and content → reuse; a free name → add; a name
  // taken by another template → add under "Name (2)" and send that one.
  let templates = [...(def.email_templates ?? [])];
  const templateName = new Map<string, string>();
  for (const t of clip.email_templates) {
    const same = templates.find((x) => x.name === t.name);
    if (!same) {
      templates.push(t);
      templateName.set(t.name, t.name);
    } else if (sameData(same, t)) {
      templateName.set(t.name, t.name);
    } else {
      const taken = new Set(templates.map((x) => x.name.toLowerCase()));
      let n = 2;
      while (taken.has(`${t.name} (${n})`.toLowerCase())) n++;
      const name = `${t.name} (${n})`;
      templates = [...templates, { ...t, name }];
      templateName.set(t.name, name);
    }
  }

  const taken = new Set(def.nodes.map((n) => n.id));
  const newId = new Map<string, string>();
  const nodes: Node[] = clip.nodes.map((n) => {
    const id = nextNodeId(n.kind, taken);
    taken.add(id);
    newId.set(n.id, id);
    const moved: Node = { ...n, id, position: { x: n.position.x + dx, y: n.position.y + dy } };
    if (moved.kind === "action.send_email") {
      const name = templateName.get(moved.config.template);
      if (name && name !== moved.config.template) {
        return { ...moved, config: { ...moved.config, template: name } };
      }
    }
    return moved;
  });
  const edges: Edge[] = clip.edges.flatMap((e) => {
    const from = newId.get(e.from);
    const to = newId.get(e.to);
    return from && to ? [{ from, exit: e.exit, to }] : [];
  });
  const next: WorkflowDef = { ...def, nodes: [...def.nodes, ...nodes], edges: [...def.edges, ...edges] };
  if (templates.length > 0) next.email_templates = templates;
  return { def: next, ids: nodes.map((n) => n.id) };
}
