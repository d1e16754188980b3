import { describe, expect, it } from "vitest";

import type { WorkflowDef } from "@/bindings";

import { CLIP_FORMAT, copyNodes, parseClip, pasteClip } from "./clipboard";
import { fixture } from "./fixtures.test-helper";

describe("copy / paste", () => {
  it("copies the selected nodes with only the edges inside the selection", () => {
    const def = fixture("post-purchase.json");
    const clip = copyNodes(def, ["receipt", "tag", "receipt_failed"])!;
    expect(clip.nodes.map((n) => n.id)).toEqual(["receipt", "tag", "receipt_failed"]);
    // access → receipt and tag → remember leave the selection: not copied.
    expect(clip.edges).toEqual([
      { from: "receipt", exit: "next", to: "tag" },
      { from: "receipt", exit: "error", to: "receipt_failed" },
      { from: "receipt_failed", exit: "next", to: "tag" },
    ]);
    expect(clip.email_templates.map((t) => t.name)).toEqual(["Receipt"]);
    expect(copyNodes(def, [])).toBeNull();
  });

  it("pastes with fresh ids, remapped edges and offset positions", () => {
    const def = fixture("post-purchase.json");
    const clip = copyNodes(def, ["receipt", "tag", "receipt_failed"])!;
    const { def: next, ids } = pasteClip(def, clip);
    expect(ids).toEqual(["send_email_1", "add_tag_1", "notify_1"]);
    expect(next.nodes).toHaveLength(def.nodes.length + 3);
    expect(next.edges.slice(def.edges.length)).toEqual([
      { from: "send_email_1", exit: "next", to: "add_tag_1" },
      { from: "send_email_1", exit: "error", to: "notify_1" },
      { from: "notify_1", exit: "next", to: "add_tag_1" },
    ]);
    const copied = next.nodes.find((n) => n.id === "send_email_1")!;
    const original = def.nodes.find((n) => n.id === "receipt")!;
    expect(copied.position).toEqual({ x: original.position.x + 40, y: original.position.y + 40 });
    expect(copied.config).toEqual(original.config);
    // The same template already exists: it is reused, not duplicated.
    expect(next.email_templates).toHaveLength(1);
    // Pasting twice gives new ids again.
    const again = pasteClip(next, clip);
    expect(again.ids).toEqual(["send_email_2", "add_tag_2", "notify_2"]);
  });

  it("pastes into another workflow with its email templates, at a chosen place", () => {
    const from = fixture("post-purchase.json");
    const clip = parseClip(JSON.stringify(copyNodes(from, ["receipt"])))!;
    expect(clip.format).toBe(CLIP_FORMAT);
    const empty: WorkflowDef = {
      format: "cairn.workflow",
      version: 1,
      name: "Other",
      settings: { timezone: "UTC", reentry: "one_at_a_time" },
      nodes: [],
      edges: [],
    };
    const { def, ids } = pasteClip(empty, clip, { x: 500, y: 20 });
    expect(ids).toEqual(["send_email_1"]);
    expect(def.nodes[0]!.position).toEqual({ x: 500, y: 20 });
    expect(def.email_templates).toEqual(from.email_templates);
  });

  it("keeps a clashing template apart and points the pasted sender at the copy", () => {
    const from = fixture("post-purchase.json");
    const clip = copyNodes(from, ["receipt"])!;
    const target = fixture("post-purchase.json");
    target.email_templates = [{ name: "Receipt", subject: "Another receipt", body: "Hello" }];
    const { def, ids } = pasteClip(target, clip);
    expect(def.email_templates!.map((t) => t.name)).toEqual(["Receipt", "Receipt (2)"]);
    const pasted = def.nodes.find((n) => n.id === ids[0]);
    expect(pasted?.kind === "action.send_email" && pasted.config.template).toBe("Receipt (2)");
  });

  it("refuses text that is not a clip", () => {
    expect(parseClip("hello")).toBeNull();
    expect(parseClip(JSON.stringify({ format: "other", version: 1, nodes: [], edges: [] }))).toBeNull();
  });
});
