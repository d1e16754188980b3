// The editor's clipboard. It lives as long as the app window, not one
// editor, so nodes copied in one workflow paste into another. It is also
// written to the system clipboard as text (a `cairn.clipboard` JSON
// document) when the platform allows, so a copy can be pasted into a chat
// or a file; reading the system clipboard back is not attempted, because
// WebKit may ask the user first and a paste must not wait on a prompt.

import type { Clip } from "@/core/editor/clipboard";

let held: Clip | null = null;

export function holdClip(clip: Clip): void {
  held = clip;
  try {
    void navigator.clipboard?.writeText(JSON.stringify(clip, null, 2)).catch(() => undefined);
  } catch {
    // The system clipboard is a bonus; the in-app clipboard is what pastes.
  }
}

export function heldClip(): Clip | null {
  return held;
}
