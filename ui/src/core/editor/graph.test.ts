import { describe, expect, it } from "vitest";

import { goodFixtures } from "./fixtures.test-helper";
import { edgeId, toGraph, toModel } from "./graph";

describe("model ↔ graph", () => {
  it("has fixtures to test with", () => {
    expect(goodFixtures.length).toBeGreaterThanOrEqual(6);
  });

  it.each(goodFixtures)("round-trips %s unchanged", (_name, def) => {
    const { nodes, edges } = toGraph(def);
    expect(nodes).toHaveLength(def.nodes.length);
    expect(edges).toHaveLength(def.edges.length);
    const back = toModel(def, nodes, edges);
    expect(back).toEqual(def);
    // Serialised, it is the same text: nothing added, nothing reordered.
    expect(JSON.stringify(back)).toBe(JSON.stringify(def));
  });

  it.each(goodFixtures)("draws every edge of %s from its exit handle", (_name, def) => {
    const { edges } = toGraph(def);
    def.edges.forEach((e, i) => {
      expect(edges[i]).toMatchObject({ source: e.from, sourceHandle: e.exit, target: e.to, id: edgeId(e) });
    });
  });

  it("labels exits other than next and leaves next unlabelled", () => {
    const def = goodFixtures.find(([n]) => n === "post-purchase.json")![1];
    const { edges } = toGraph(def);
    expect(edges.find((e) => e.source === "receipt" && e.sourceHandle === "error")?.label).toBe("Error");
    expect(edges.find((e) => e.source === "paid")?.label).toBeUndefined();
  });

  it("takes moved positions, removed nodes and new edges back into the model", () => {
    const def = goodFixtures.find(([n]) => n === "post-purchase.json")![1];
    const { nodes, edges } = toGraph(def);
    const moved = nodes
      .filter((n) => n.id !== "remember")
      .map((n) => (n.id === "tag" ? { ...n, position: { x: 10, y: 380.5 } } : n));
    const rewired = [
      ...edges.filter((e) => e.source !== "remember" && e.target !== "remember"),
      { source: "tag", sourceHandle: "next", target: "onboard" },
    ];
    const back = toModel(def, moved, rewired);
    expect(back.nodes.map((n) => n.id)).not.toContain("remember");
    expect(back.nodes.find((n) => n.id === "tag")?.position).toEqual({ x: 10, y: 380.5 });
    expect(back.edges).toContainEqual({ from: "tag", exit: "next", to: "onboard" });
    expect(back.edges.some((e) => e.from === "remember" || e.to === "remember")).toBe(false);
    // What the canvas does not show is kept.
    expect(back.settings).toBe(def.settings);
    expect(back.email_templates).toBe(def.email_templates);
    expect(back.requires).toBe(def.requires);
    // An untouched node keeps its very object (and so its settings).
    expect(back.nodes.find((n) => n.id === "receipt")).toBe(def.nodes.find((n) => n.id === "receipt"));
  });
});
