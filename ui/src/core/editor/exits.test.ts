import { describe, expect, it } from "vitest";

import type { Node } from "@/bindings";

import { exitLabel, exitsOf, labelWithCount } from "./exits";
import { KINDS, newNode } from "./kinds";

const node = (n: Pick<Node, "kind" | "config">): Node => ({ id: "n", position: { x: 0, y: 0 }, ...n }) as Node;

describe("exits per kind", () => {
  it("gives flow nodes their named exits", () => {
    expect(exitsOf(node({ kind: "condition", config: { condition: { has_tag: "vip" } } }))).toEqual(["yes", "no"]);
    expect(exitsOf(node({ kind: "wait.for_event", config: { event_type: "x", timeout: "1d" } }))).toEqual([
      "arrived",
      "timed_out",
    ]);
    expect(exitsOf(node({ kind: "end", config: {} }))).toEqual([]);
    expect(
      exitsOf(
        node({
          kind: "branch",
          config: {
            paths: [
              { name: "VIP", condition: { has_tag: "vip" } },
              { name: "Lead", condition: { has_tag: "lead" } },
            ],
          },
        }),
      ),
    ).toEqual(["VIP", "Lead", "otherwise"]);
  });

  it("gives an action an error exit only when its policy says so", () => {
    const plain = node({ kind: "action.add_tag", config: { tag: "x" } });
    expect(exitsOf(plain)).toEqual(["next"]);
    const failing = node({
      kind: "action.send_email",
      config: { template: "T", account: "A", on_error: { max_attempts: 3, backoff: "1m", then: "fail" } },
    });
    expect(exitsOf(failing)).toEqual(["next"]);
    const erroring = node({
      kind: "action.webhook",
      config: { method: "POST", url: "u", on_error: { max_attempts: 3, backoff: "1m", then: "error_exit" } },
    });
    expect(exitsOf(erroring)).toEqual(["next", "error"]);
  });

  it("gives every trigger, wait (but for-event) and action a next exit", () => {
    for (const kind of KINDS) {
      const n = newNode(kind, "n", { x: 0, y: 0 });
      const exits = exitsOf(n);
      if (kind === "end") expect(exits).toEqual([]);
      else if (kind === "condition") expect(exits).toEqual(["yes", "no"]);
      else if (kind === "branch") expect(exits).toEqual(["Path 1", "otherwise"]);
      else if (kind === "split") expect(exits).toEqual(["A", "B"]);
      else if (kind === "wait.for_event") expect(exits).toEqual(["arrived", "timed_out"]);
      else expect(exits).toEqual(["next"]);
    }
  });

  it("labels exits for the canvas", () => {
    const b = node({ kind: "branch", config: { paths: [{ name: "VIP", condition: { has_tag: "v" } }] } });
    expect(exitLabel(b, "VIP")).toBe("VIP");
    expect(exitLabel(b, "otherwise")).toBe("Otherwise");
    const w = node({ kind: "wait.for_event", config: { event_type: "x", timeout: "1d" } });
    expect(exitLabel(w, "timed_out")).toBe("Timed out");
    expect(exitLabel(node({ kind: "action.add_tag", config: { tag: "x" } }), "next")).toBe("");
  });
});

describe("split exits and per-exit counts", () => {
  const split = node({ kind: "split", config: { variants: [{ name: "A", weight: 1 }, { name: "Free shipping", weight: 1 }] } });
  const counts = (exits: { exit: string; runs: number }[]) => ({
    node: "n",
    kind: "split",
    label: null,
    in_current_version: true,
    passed: 0,
    waiting: 0,
    failed: 0,
    skipped: 0,
    exits,
  });

  it("gives a split one exit per variant, labelled with its name", () => {
    expect(exitsOf(split)).toEqual(["A", "Free shipping"]);
    expect(exitLabel(split, "Free shipping")).toBe("Free shipping");
  });

  it("adds the runs that left by an exit to its label, only for decision nodes", () => {
    const c = counts([{ exit: "A", runs: 1234 }]);
    expect(labelWithCount("A", "A", c)).toBe("A · 1,234");
    expect(labelWithCount("B", "B", c)).toBe("B · 0");
    expect(labelWithCount("Yes", "yes", counts([]))).toBe("Yes");
    expect(labelWithCount("", "next", null)).toBe("");
  });
});
