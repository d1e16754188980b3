import { describe, expect, it } from "vitest";

import { describeCondition } from "./conditions";
import { fixture, goodFixtures } from "./fixtures.test-helper";
import { KINDS, newNode } from "./kinds";
import { summarize } from "./summary";

describe("node summaries", () => {
  it("say what a configured node does", () => {
    const def = fixture("post-purchase.json");
    const by = (id: string) => summarize(def.nodes.find((n) => n.id === id)!);
    expect(by("paid")).toBe("Any purchase: product is Program A, amount is at least 100");
    expect(by("receipt")).toBe("“Receipt” via Gmail");
    expect(by("tag")).toBe("Add buyer-program-a");
    expect(by("won")).toBe("Sales → Won");
    expect(by("ping")).toBe("Slack (Team Slack)");
  });

  it("show missing settings as …", () => {
    expect(summarize(newNode("action.send_email", "s", { x: 0, y: 0 }))).toBe("… via …");
    expect(summarize(newNode("action.add_tag", "s", { x: 0, y: 0 }))).toBe("Add …");
  });

  it("exist for every kind and every fixture node", () => {
    for (const kind of KINDS) expect(summarize(newNode(kind, "x", { x: 0, y: 0 })).length).toBeGreaterThan(0);
    for (const [, def] of goodFixtures) for (const n of def.nodes) expect(summarize(n)).not.toBe("");
  });

  it("read conditions as sentences", () => {
    expect(
      describeCondition({
        any: [{ has_tag: "vip" }, { all: [{ field: { field: "country", op: "eq", value: "DE" } }, { random_split: { percent: 20 } }] }],
      }),
    ).toBe("has tag vip or country is DE and 20 % of runs");
  });
});
