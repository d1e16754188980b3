import { useEffect, useState } from "react";

import type { WorkflowDef } from "@/api";
import { type KeptDraft, keepDraft, keptDraftKey, readKeptDraft, shouldOffer } from "@/core/editor/recovery";

/** How long the draft must stay still before it is kept aside again. */
const KEEP_DELAY_MS = 400;

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/**
 * Keeps the draft aside while it has unsaved changes (and forgets it once
 * saved or discarded), and says whether a draft kept by an earlier session
 * should be offered back.
 */
export function useKeptDraft(workflowId: number, version: number, loaded: WorkflowDef, draft: WorkflowDef, dirty: boolean) {
  const key = keptDraftKey(workflowId);
  // Read once, when the editor opens: what an earlier session left.
  const [offer, setOffer] = useState<KeptDraft | null>(() => {
    const kept = readKeptDraft(storage()?.getItem(key) ?? null);
    return shouldOffer(kept, workflowId, version, loaded) ? kept : null;
  });

  useEffect(() => {
    const store = storage();
    if (!store || offer) return; // an offer pending: keep it until answered
    if (!dirty) {
      store.removeItem(key);
      return;
    }
    const timer = setTimeout(() => store.setItem(key, keepDraft(workflowId, version, draft, new Date())), KEEP_DELAY_MS);
    return () => clearTimeout(timer);
  }, [key, workflowId, version, draft, dirty, offer]);

  return {
    offer,
    /** The offer was taken or declined: keep what the editor holds from now on. */
    answered: () => setOffer(null),
    /** The user chose to throw the changes away: keep nothing. */
    forget: () => storage()?.removeItem(key),
  };
}
