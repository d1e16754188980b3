// Validation issues as the editor shows them: on the node they belong to
// (a badge and the messages) and in the problems list, which jumps to the
// node. Issues come from the core's validation (the validate_workflow
// command); this module only sorts them for display.

import type { Issue, WorkflowDef } from "@/bindings";

import { KIND_INFO } from "./kinds";

/** The issues of one node. */
export type NodeIssues = {
  severity: "error" | "warning";
  errors: Issue[];
  warnings: Issue[];
};

export type IssueIndex = {
  byNode: Map<string, NodeIssues>;
  /** Issues of the workflow as a whole, or of a node no longer on the canvas. */
  general: Issue[];
  errors: number;
  warnings: number;
};

export function indexIssues(issues: readonly Issue[], def: WorkflowDef): IssueIndex {
  const ids = new Set(def.nodes.map((n) => n.id));
  const byNode = new Map<string, NodeIssues>();
  const general: Issue[] = [];
  let errors = 0;
  let warnings = 0;
  for (const issue of issues) {
    if (issue.severity === "error") errors++;
    else warnings++;
    if (issue.node !== null && ids.has(issue.node)) {
      const entry = byNode.get(issue.node) ?? { severity: "warning", errors: [], warnings: [] };
      if (issue.severity === "error") {
        entry.errors.push(issue);
        entry.severity = "error";
      } else {
        entry.warnings.push(issue);
      }
      byNode.set(issue.node, entry);
    } else {
      general.push(issue);
    }
  }
  return { byNode, general, errors, warnings };
}

/** How a node is named to people: its label, else its kind's title. */
export function nodeTitle(def: WorkflowDef, id: string): string {
  const n = def.nodes.find((x) => x.id === id);
  if (!n) return id;
  return n.label?.trim() || KIND_INFO[n.kind].title;
}

/** One line of the problems list. */
export type Problem = {
  key: string;
  severity: "error" | "warning";
  /** The node to jump to, if the issue has one on the canvas. */
  node: string | null;
  /** "Send email (receipt)" or "Workflow". */
  where: string;
  message: string;
  code: string;
};

/** Errors first, then warnings; within each, in the order of the canvas's nodes. */
export function problemList(issues: readonly Issue[], def: WorkflowDef): Problem[] {
  const order = new Map(def.nodes.map((n, i) => [n.id, i]));
  const rows = issues.map((issue, i) => {
    const onCanvas = issue.node !== null && order.has(issue.node);
    return {
      key: `${i}:${issue.code}:${issue.node ?? ""}`,
      severity: issue.severity,
      node: onCanvas ? issue.node : null,
      where: onCanvas ? `${nodeTitle(def, issue.node!)} (${issue.node})` : issue.node ? `Node ${issue.node}` : "Workflow",
      message: issue.message,
      code: issue.code,
    } satisfies Problem;
  });
  const rank = (p: Problem) => (p.node === null ? -1 : order.get(p.node)!);
  return rows.sort(
    (a, b) =>
      (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1) || rank(a) - rank(b),
  );
}
