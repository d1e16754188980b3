import { describe, expect, it } from "vitest";

import { exitsOf } from "./exits";
import { workflowRs } from "./fixtures.test-helper";
import { GROUPS, KINDS, KIND_INFO, defaultConfig, kindsIn, newNode } from "./kinds";

describe("node kinds", () => {
  // The kind list of the Rust model: `Variant(Type) = "kind", Family, "Title";`.
  const rustKinds = [...workflowRs.matchAll(/^\s+\w+\([\w:]+\) = "([a-z_.]+)", (\w+), "([^"]+)";$/gm)].map(
    (m) => ({ kind: m[1]!, family: m[2]!.toLowerCase(), title: m[3]! }),
  );

  it("are the model's kinds, in its palette order, with its titles and families", () => {
    expect(rustKinds.length).toBe(38);
    expect(KINDS).toEqual(rustKinds.map((k) => k.kind));
    for (const k of rustKinds) {
      const info = KIND_INFO[k.kind as keyof typeof KIND_INFO];
      expect(info.title).toBe(k.title);
      expect(info.family).toBe(k.family);
    }
  });

  it("fall into the four palette groups, each kind once", () => {
    const grouped = GROUPS.flatMap((g) => kindsIn(g.id).map((i) => i.kind));
    expect([...grouped].sort()).toEqual([...KINDS].sort());
    expect(kindsIn("triggers")).toHaveLength(17);
    expect(kindsIn("waits").map((i) => i.kind)).toEqual([
      "wait.duration",
      "wait.until_time",
      "wait.until_date",
      "wait.for_event",
    ]);
    expect(kindsIn("flow").map((i) => i.kind)).toEqual(["condition", "branch", "split", "end"]);
  });

  it("start with settings of their own shape", () => {
    for (const kind of KINDS) {
      const n = newNode(kind, "x_1", { x: 0, y: 0 });
      expect(n.kind).toBe(kind);
      expect(n.config).toEqual(defaultConfig(kind));
      // A fresh node always has the exits of its kind.
      expect(Array.isArray(exitsOf(n))).toBe(true);
    }
  });
});
