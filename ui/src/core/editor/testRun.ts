// The pure part of the editor's test run panel: which payload fields a
// trigger's run will read (so the panel can ask for just those), the payload
// built from what was typed and the canvas marks of a run's steps (what a
// step recorded is read in `core/stepDetail`). No React, no Tauri.

import type { Node, Step, StepStatus, WorkflowDef } from "@/bindings";

/** `{{ trigger.product }}`, `{{trigger.answers.consent}}` → the path after `trigger.`. */
const TRIGGER_REF = /\{\{\s*trigger\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)/g;

function refsIn(value: unknown, into: Set<string>): void {
  if (typeof value === "string") {
    for (const m of value.matchAll(TRIGGER_REF)) into.add(m[1]!);
  } else if (Array.isArray(value)) {
    for (const v of value) refsIn(v, into);
  } else if (value && typeof value === "object") {
    for (const v of Object.values(value)) refsIn(v, into);
  }
}

/** The trigger nodes of a workflow, in the order they are drawn. */
export function triggerNodes(def: WorkflowDef): Node[] {
  return def.nodes.filter((n) => n.kind.startsWith("trigger."));
}

/** A payload field the panel asks for, with a hint of where it is used. */
export type PayloadField = { path: string; hint: string };

/**
 * The payload fields a run started at `triggerId` reads: the paths its
 * filters test (with the value they expect, as the hint) and every
 * `{{ trigger.… }}` merge field of the workflow's nodes and email
 * templates. Sorted by path, filters first.
 */
export function payloadFields(def: WorkflowDef, triggerId: string | null): PayloadField[] {
  const trigger = def.nodes.find((n) => n.id === triggerId) ?? triggerNodes(def)[0];
  const out = new Map<string, string>();
  const filters = (trigger?.config as { filters?: { path: string; op: string; value?: unknown }[] } | undefined)?.filters ?? [];
  for (const f of filters) {
    if (!f.path || out.has(f.path)) continue;
    out.set(f.path, f.value === undefined ? `filter: ${f.op}` : `filter: ${f.op} ${JSON.stringify(f.value)}`);
  }
  const refs = new Set<string>();
  refsIn(def.nodes.map((n) => n.config), refs);
  refsIn(def.email_templates ?? [], refs);
  for (const r of [...refs].sort()) if (!out.has(r)) out.set(r, "merge field");
  return [...out.entries()].map(([path, hint]) => ({ path, hint }));
}

/** A typed value as JSON would read it: numbers, true/false and null as such, anything else as text. */
export function typedValue(text: string): unknown {
  const t = text.trim();
  if (t === "true") return true;
  if (t === "false") return false;
  if (t === "null") return null;
  if (t !== "" && /^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return text;
}

/** The payload from typed values by path (`answers.consent` nests); empty values are left out. */
export function buildPayload(values: Record<string, string>): Record<string, unknown> {
  const payload: Record<string, unknown> = {};
  for (const [path, text] of Object.entries(values)) {
    if (text.trim() === "") continue;
    const parts = path.split(".");
    let at = payload;
    for (const p of parts.slice(0, -1)) {
      const next = at[p];
      if (!next || typeof next !== "object" || Array.isArray(next)) at[p] = {};
      at = at[p] as Record<string, unknown>;
    }
    at[parts[parts.length - 1]!] = typedValue(text);
  }
  return payload;
}

/** A JSON payload typed by hand: an object, or a sentence saying what is wrong. */
export function parsePayload(text: string): { payload: Record<string, unknown> } | { error: string } {
  if (text.trim() === "") return { payload: {} };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { error: `The payload is not valid JSON: ${(e as Error).message}` };
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) {
    return { error: 'The payload must be a JSON object, such as {"product": "Program A"}.' };
  }
  return { payload: v as Record<string, unknown> };
}

/** How a node is marked on the canvas during a test run. */
export type TraceMark = { status: StepStatus; current: boolean };

/**
 * Each node's latest step in the run (a node visited twice shows its last
 * visit), and which node the run is at now.
 */
export function traceOf(steps: Step[], currentNode: string | null): Map<string, TraceMark> {
  const out = new Map<string, TraceMark>();
  for (const s of steps) out.set(s.node_id, { status: s.status, current: false });
  if (currentNode) {
    const m = out.get(currentNode);
    if (m) out.set(currentNode, { ...m, current: true });
  }
  return out;
}
