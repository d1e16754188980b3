// The workflow fixtures of the repository, read at test time (Vite inlines
// them), so the editor's logic is tested on the same files as the Rust core.

import type { WorkflowDef } from "@/bindings";

const files = import.meta.glob<string>("../../../../tests/fixtures/workflows/good/*.json", {
  eager: true,
  query: "?raw",
  import: "default",
});

/** Every good workflow fixture, by file name. */
export const goodFixtures: [string, WorkflowDef][] = Object.entries(files).map(([path, text]) => [
  path.split("/").pop()!,
  JSON.parse(text) as WorkflowDef,
]);

export function fixture(name: string): WorkflowDef {
  const found = goodFixtures.find(([n]) => n === name);
  if (!found) throw new Error(`no fixture ${name}`);
  return structuredClone(found[1]);
}

const rust = import.meta.glob<string>("../../../../crates/cairn-model/src/workflow.rs", {
  eager: true,
  query: "?raw",
  import: "default",
});

/** The source of the model's workflow.rs (for the kind list). */
export const workflowRs: string = Object.values(rust)[0] ?? "";
