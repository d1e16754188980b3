import { describe, expect, it } from "vitest";

import { fixture } from "./fixtures.test-helper";
import { keepDraft, keptDraftKey, readKeptDraft, shouldOffer } from "./recovery";

describe("kept drafts", () => {
  const saved = fixture("post-purchase.json");
  const changed = { ...saved, name: "Changed" };
  const at = new Date("2026-03-02T10:42:00Z");

  it("round-trip through text and are offered back over the version they came from", () => {
    const kept = readKeptDraft(keepDraft(7, 3, changed, at));
    expect(kept).toEqual({ workflowId: 7, baseVersion: 3, keptAt: "2026-03-02T10:42:00.000Z", draft: changed });
    expect(shouldOffer(kept, 7, 3, saved)).toBe(true);
    expect(keptDraftKey(7)).toBe("cairn.editor.draft.7");
  });

  it("are not offered when stale, foreign, unchanged or unreadable", () => {
    const kept = readKeptDraft(keepDraft(7, 3, changed, at));
    expect(shouldOffer(kept, 7, 4, saved)).toBe(false);
    expect(shouldOffer(kept, 8, 3, saved)).toBe(false);
    expect(shouldOffer(readKeptDraft(keepDraft(7, 3, saved, at)), 7, 3, saved)).toBe(false);
    expect(readKeptDraft("{")).toBeNull();
    expect(readKeptDraft(null)).toBeNull();
    expect(readKeptDraft(JSON.stringify({ workflowId: 7 }))).toBeNull();
  });
});
