// The exits of a node: where runs can leave it. Mirrors
// `NodeSpec::exits()` in crates/cairn-model/src/workflow.rs.

import type { Node, NodeCounts } from "@/bindings";

import { isAction } from "./kinds";

export const NEXT = "next";

/** A node's exits, in display order (left to right on the canvas). */
export function exitsOf(node: Node): string[] {
  switch (node.kind) {
    case "end":
      return [];
    case "condition":
      return ["yes", "no"];
    case "branch":
      return [...node.config.paths.map((p) => p.name), "otherwise"];
    case "split":
      return node.config.variants.map((v) => v.name);
    case "wait.for_event":
      return ["arrived", "timed_out"];
    default: {
      const exits = [NEXT];
      if (isAction(node.kind) && errorExitOn(node)) exits.push("error");
      return exits;
    }
  }
}

/** Whether an action's error policy follows the "error" exit after the last attempt. */
export function errorExitOn(node: Node): boolean {
  const config = node.config as { on_error?: { then?: string } };
  return config.on_error?.then === "error_exit";
}

const LABELS: Record<string, string> = {
  next: "",
  yes: "Yes",
  no: "No",
  otherwise: "Otherwise",
  arrived: "Arrived",
  timed_out: "Timed out",
  error: "Error",
};

/** How an exit is labelled on the canvas ("" for the plain "next"). */
export function exitLabel(node: Node, exit: string): string {
  if (node.kind === "branch" && exit !== "otherwise") return exit;
  if (node.kind === "split") return exit;
  return LABELS[exit] ?? exit;
}

/** Whether the exit is one runs take when something went wrong or ran out. */
export function exitTone(exit: string): "positive" | "negative" | "neutral" {
  if (exit === "yes" || exit === "arrived") return "positive";
  if (exit === "no" || exit === "timed_out" || exit === "error") return "negative";
  return "neutral";
}

/**
 * An edge label with how many live runs left by that exit, when the run
 * counts are shown and the node is a condition, branch or split ("Yes · 12",
 * "B · 40"); the label as it is otherwise.
 */
export function labelWithCount(label: string, exit: string, counts: NodeCounts | null | undefined): string {
  if (!counts || counts.exits.length === 0) return label;
  const n = counts.exits.find((e) => e.exit === exit)?.runs ?? 0;
  return `${label || exit} · ${n.toLocaleString("en-US")}`;
}
