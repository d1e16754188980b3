import { describe, expect, it } from "vitest";

import { goodFixtures } from "./fixtures.test-helper";
import { NODE_SIZE, autoLayout } from "./layout";

describe("auto-layout", () => {
  it.each(goodFixtures)("draws %s downwards without overlapping nodes", (_name, def) => {
    const laid = autoLayout(def);
    expect(laid.nodes.map((n) => n.id)).toEqual(def.nodes.map((n) => n.id));
    expect(laid.edges).toBe(def.edges);
    const at = new Map(laid.nodes.map((n) => [n.id, n.position]));
    // Forward edges point down (loops back through a wait may point up).
    const forward = def.edges.filter((e) => at.get(e.to)!.y > at.get(e.from)!.y);
    expect(forward.length).toBeGreaterThanOrEqual(def.edges.length - 2);
    for (const a of laid.nodes) {
      for (const b of laid.nodes) {
        if (a.id >= b.id) continue;
        const apart =
          Math.abs(a.position.x - b.position.x) >= NODE_SIZE.width ||
          Math.abs(a.position.y - b.position.y) >= NODE_SIZE.height;
        expect(apart, `${a.id} and ${b.id} overlap`).toBe(true);
      }
    }
  });

  it("keeps the settings of every node", () => {
    const def = goodFixtures[0]![1];
    const laid = autoLayout(def);
    laid.nodes.forEach((n, i) => expect(n.config).toBe(def.nodes[i]!.config));
  });
});
