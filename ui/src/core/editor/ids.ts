// Node ids: stable, readable and unique within a workflow. They are made
// from the kind and a counter ("send_email_2"), never from the clock, so a
// workflow file stays diffable and steps in the run log name nodes people
// recognise.

import type { Kind } from "./kinds";

/** "trigger.purchase_completed" → "purchase_completed"; "wait.duration" → "wait_duration". */
export function idBase(kind: Kind): string {
  const base = kind.replace(/^(trigger|action)\./, "").replace(/\./g, "_");
  return base;
}

/** The first `<base>_<n>` (n ≥ 1) not in `taken`. */
export function nextNodeId(kind: Kind, taken: ReadonlySet<string>): string {
  const base = idBase(kind);
  for (let n = 1; ; n++) {
    const id = `${base}_${n}`;
    if (!taken.has(id)) return id;
  }
}
