// Unsaved drafts kept aside. Closing the window only hides it (Cairn keeps
// running in the tray), so nothing is lost then; but quitting, a crash or a
// power cut would lose a draft the database has not seen. The editor keeps
// the draft beside the app (window.localStorage) while it has unsaved
// changes, and offers it back the next time the workflow opens.
//
// Pure functions: the caller passes the storage's text and the time.

import type { WorkflowDef } from "@/bindings";

import { sameData } from "./stable";

export type KeptDraft = {
  workflowId: number;
  /** The saved version the draft was made from. */
  baseVersion: number;
  /** When it was kept (ISO 8601). */
  keptAt: string;
  draft: WorkflowDef;
};

export function keptDraftKey(workflowId: number): string {
  return `cairn.editor.draft.${workflowId}`;
}

export function keepDraft(workflowId: number, baseVersion: number, draft: WorkflowDef, now: Date): string {
  const kept: KeptDraft = { workflowId, baseVersion, keptAt: now.toISOString(), draft };
  return JSON.stringify(kept);
}

/** Reads a kept draft back; null when the text is not one. */
export function readKeptDraft(text: string | null): KeptDraft | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as Partial<KeptDraft>;
    if (typeof v.workflowId !== "number" || typeof v.baseVersion !== "number" || typeof v.keptAt !== "string") return null;
    if (!v.draft || !Array.isArray(v.draft.nodes)) return null;
    return v as KeptDraft;
  } catch {
    return null;
  }
}

/**
 * Whether to offer `kept` back over the workflow as loaded: it belongs to
 * this workflow, was made from the version now saved (a newer save makes
 * it stale), and differs from what is saved.
 */
export function shouldOffer(kept: KeptDraft | null, workflowId: number, version: number, loaded: WorkflowDef): kept is KeptDraft {
  return kept !== null && kept.workflowId === workflowId && kept.baseVersion === version && !sameData(kept.draft, loaded);
}
