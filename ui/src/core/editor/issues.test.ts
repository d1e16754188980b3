import { describe, expect, it } from "vitest";

import type { Issue } from "@/bindings";

import { fixture } from "./fixtures.test-helper";
import { indexIssues, problemList } from "./issues";

const issue = (severity: "error" | "warning", node: string | null, code: string, message = code): Issue => ({
  severity,
  node,
  code,
  message,
});

describe("validation display", () => {
  const def = fixture("post-purchase.json");
  const issues = [
    issue("warning", "ping", "unconnected_exit"),
    issue("error", "receipt", "unknown_account", "there is no connected account named \"Gmail\""),
    issue("error", null, "no_trigger"),
    issue("error", "ping", "unknown_account"),
    issue("error", "gone", "missing_setting"),
  ];

  it("puts each issue on its node, the worst severity first", () => {
    const index = indexIssues(issues, def);
    expect(index.errors).toBe(4);
    expect(index.warnings).toBe(1);
    expect(index.byNode.get("receipt")).toMatchObject({ severity: "error", warnings: [] });
    expect(index.byNode.get("ping")?.severity).toBe("error");
    expect(index.byNode.get("ping")?.warnings).toHaveLength(1);
    expect(index.byNode.has("paid")).toBe(false);
    // Workflow-wide issues, and issues of nodes no longer on the canvas.
    expect(index.general.map((i) => i.code)).toEqual(["no_trigger", "missing_setting"]);
  });

  it("lists errors before warnings, in canvas order, naming where they are", () => {
    const rows = problemList(issues, def);
    expect(rows.map((r) => [r.severity, r.node, r.code])).toEqual([
      ["error", null, "no_trigger"],
      ["error", null, "missing_setting"],
      ["error", "receipt", "unknown_account"],
      ["error", "ping", "unknown_account"],
      ["warning", "ping", "unconnected_exit"],
    ]);
    expect(rows[0]!.where).toBe("Workflow");
    expect(rows[1]!.where).toBe("Node gone");
    expect(rows[2]!.where).toBe("Send email (receipt)");
    expect(problemList([issue("error", "paid", "x")], def)[0]!.where).toBe("Bought Program A (paid)");
  });
});
