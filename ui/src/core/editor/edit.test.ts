import { describe, expect, it } from "vitest";

import type { Node, WorkflowDef } from "@/bindings";

import { addNodeAfter, connect, connectionProblem, putTemplate, removeNodes, updateNode } from "./edit";
import { fixture } from "./fixtures.test-helper";

const empty = (): WorkflowDef => ({
  format: "cairn.workflow",
  version: 1,
  name: "W",
  settings: { timezone: "UTC", reentry: "one_at_a_time" },
  nodes: [],
  edges: [],
});

describe("editing a draft", () => {
  it("adds nodes after the selected one, connected from its first free exit", () => {
    let def = empty();
    const t = addNodeAfter(def, "trigger.purchase_completed", null);
    expect(t.id).toBe("purchase_completed_1");
    def = t.def;
    const a = addNodeAfter(def, "action.enroll_course", t.id);
    def = a.def;
    expect(a.id).toBe("enroll_course_1");
    expect(def.edges).toEqual([{ from: "purchase_completed_1", exit: "next", to: "enroll_course_1" }]);
    expect(def.nodes[1]!.position.y).toBeGreaterThan(def.nodes[0]!.position.y);
    // The trigger's only exit is taken: the next node is added unconnected.
    const b = addNodeAfter(def, "action.add_tag", t.id);
    expect(b.def.edges).toHaveLength(1);
    // A condition offers yes, then no.
    const c = addNodeAfter(def, "condition", a.id);
    const yes = addNodeAfter(c.def, "action.add_tag", c.id);
    const no = addNodeAfter(yes.def, "action.remove_tag", c.id);
    expect(no.def.edges.filter((e) => e.from === c.id)).toEqual([
      { from: c.id, exit: "yes", to: yes.id },
      { from: c.id, exit: "no", to: no.id },
    ]);
  });

  it("lets an exit lead to one place and refuses edges into triggers or loops onto the node itself", () => {
    const def = fixture("post-purchase.json");
    const moved = connect(def, { from: "paid", exit: "next", to: "receipt" });
    expect(moved.edges.filter((e) => e.from === "paid")).toEqual([{ from: "paid", exit: "next", to: "receipt" }]);
    expect(connect(def, { from: "access", exit: "next", to: "paid" })).toBe(def);
    expect(connectionProblem(def, "access", "next", "paid")).toMatch(/trigger/);
    expect(connect(def, { from: "tag", exit: "next", to: "tag" })).toBe(def);
    expect(connect(def, { from: "tag", exit: "error", to: "done" })).toBe(def);
  });

  it("carries a renamed branch path's edge and drops the edge of a removed exit", () => {
    const def = fixture("lifecycle.json");
    const branch = def.nodes.find((n): n is Extract<Node, { kind: "branch" }> => n.kind === "branch");
    if (!branch) throw new Error("lifecycle.json has a branch");
    const first = branch.config.paths[0]!.name;
    const target = def.edges.find((e) => e.from === branch.id && e.exit === first)?.to;
    const renamed = updateNode(def, branch.id, {
      ...branch,
      config: { paths: branch.config.paths.map((p, i) => (i === 0 ? { ...p, name: "Renamed" } : p)) },
    });
    expect(renamed.edges.find((e) => e.from === branch.id && e.exit === "Renamed")?.to).toBe(target);
    expect(renamed.edges.some((e) => e.from === branch.id && e.exit === first)).toBe(false);

    const post = fixture("post-purchase.json");
    const receipt = post.nodes.find((n) => n.id === "receipt")!;
    if (receipt.kind !== "action.send_email") throw new Error("receipt sends email");
    const noErrorExit = updateNode(post, "receipt", {
      ...receipt,
      config: { ...receipt.config, on_error: { max_attempts: 5, backoff: "2m", then: "fail" } },
    });
    expect(noErrorExit.edges.some((e) => e.from === "receipt" && e.exit === "error")).toBe(false);
    expect(noErrorExit.edges.some((e) => e.from === "receipt" && e.exit === "next")).toBe(true);
  });

  it("removes nodes with their edges, and renames a template for its senders", () => {
    const def = fixture("post-purchase.json");
    const cut = removeNodes(def, new Set(["tag"]));
    expect(cut.nodes.some((n) => n.id === "tag")).toBe(false);
    expect(cut.edges.some((e) => e.from === "tag" || e.to === "tag")).toBe(false);
    const renamed = putTemplate(def, "Receipt", { ...def.email_templates![0]!, name: "Your receipt" });
    const sender = renamed.nodes.find((n) => n.id === "receipt");
    expect(sender?.kind === "action.send_email" && sender.config.template).toBe("Your receipt");
  });
});
