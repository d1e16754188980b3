// Conditions as the condition builder edits them: groups (AND / OR, each
// optionally negated) of rules (field, tag, payload, engagement, event
// history, random split, time window). The model's Condition is a tree
// (`all`, `any`, `not`); the builder shows it as a group of rows, and
// nested groups for anything deeper.

import type { Condition, Op } from "@/bindings";

import { describeDuration } from "./duration";

export type RuleKind =
  | "field"
  | "has_tag"
  | "lacks_tag"
  | "payload"
  | "engagement"
  | "had_event"
  | "random_split"
  | "time_window";

export const RULE_KINDS: { kind: RuleKind; title: string }[] = [
  { kind: "field", title: "Contact field" },
  { kind: "has_tag", title: "Has tag" },
  { kind: "lacks_tag", title: "Lacks tag" },
  { kind: "payload", title: "Trigger payload" },
  { kind: "engagement", title: "Opened or clicked an email" },
  { kind: "had_event", title: "Has had an event" },
  { kind: "random_split", title: "Random split (A/B)" },
  { kind: "time_window", title: "Time of day / weekday" },
];

/** Which kind of rule or group a condition is. */
export function conditionKind(c: Condition): RuleKind | "all" | "any" | "not" {
  return Object.keys(c)[0] as RuleKind | "all" | "any" | "not";
}

export function isGroup(c: Condition): c is { all: Condition[] } | { any: Condition[] } {
  return "all" in c || "any" in c;
}

/** A new rule of `kind`, with its settings still to fill in. */
export function newRule(kind: RuleKind): Condition {
  switch (kind) {
    case "field":
      return { field: { field: "", op: "eq", value: "" } };
    case "has_tag":
      return { has_tag: "" };
    case "lacks_tag":
      return { lacks_tag: "" };
    case "payload":
      return { payload: { path: "", op: "eq", value: "" } };
    case "engagement":
      return { engagement: { action: "opened", within: "7d" } };
    case "had_event":
      return { had_event: { event_type: "" } };
    case "random_split":
      return { random_split: { percent: 50 } };
    case "time_window":
      return { time_window: { from: "09:00", to: "17:00" } };
  }
}

/** A group as the builder shows it: its joiner, whether negated, its members. */
export type GroupView = { join: "all" | "any"; negated: boolean; items: Condition[] };

/** Reads a condition as a group: a lone rule is a group of one. */
export function asGroup(c: Condition): GroupView {
  if ("not" in c) {
    const inner = asGroup(c.not);
    return { ...inner, negated: !inner.negated };
  }
  if ("all" in c) return { join: "all", negated: false, items: c.all };
  if ("any" in c) return { join: "any", negated: false, items: c.any };
  return { join: "all", negated: false, items: [c] };
}

/** Writes a group back as a condition. */
export function fromGroup(g: GroupView): Condition {
  const body: Condition = g.join === "all" ? { all: g.items } : { any: g.items };
  return g.negated ? { not: body } : body;
}

export const OPS: { op: Op; title: string; needsValue: boolean }[] = [
  { op: "eq", title: "is", needsValue: true },
  { op: "ne", title: "is not", needsValue: true },
  { op: "contains", title: "contains", needsValue: true },
  { op: "not_contains", title: "does not contain", needsValue: true },
  { op: "starts_with", title: "starts with", needsValue: true },
  { op: "gt", title: "is greater than", needsValue: true },
  { op: "gte", title: "is at least", needsValue: true },
  { op: "lt", title: "is less than", needsValue: true },
  { op: "lte", title: "is at most", needsValue: true },
  { op: "is_set", title: "is set", needsValue: false },
  { op: "is_not_set", title: "is not set", needsValue: false },
  { op: "before", title: "is before (date)", needsValue: true },
  { op: "after", title: "is after (date)", needsValue: true },
];

export function opTitle(op: Op): string {
  return OPS.find((o) => o.op === op)?.title ?? op;
}

export function opNeedsValue(op: Op): boolean {
  return OPS.find((o) => o.op === op)?.needsValue ?? true;
}

/**
 * A typed value for a comparison: numbers for numeric operators when the
 * text is a number, booleans for "true"/"false", text otherwise; undefined
 * when the operator takes none.
 */
export function valueFromText(op: Op, text: string): unknown {
  if (!opNeedsValue(op)) return undefined;
  const t = text.trim();
  if ((op === "gt" || op === "gte" || op === "lt" || op === "lte" || op === "eq" || op === "ne") && t !== "" && !Number.isNaN(Number(t)) && /^-?\d+(\.\d+)?$/.test(t)) {
    return Number(t);
  }
  if ((op === "eq" || op === "ne") && (t === "true" || t === "false")) return t === "true";
  return text;
}

/** The value as the text box shows it. */
export function valueToText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** One line for a condition, as on the canvas ("has tag vip and amount ≥ 100"). */
export function describeCondition(c: Condition): string {
  if ("all" in c) return c.all.length === 0 ? "always" : c.all.map(describeCondition).join(" and ");
  if ("any" in c) return c.any.length === 0 ? "never" : c.any.map(describeCondition).join(" or ");
  if ("not" in c) return `not (${describeCondition(c.not)})`;
  if ("has_tag" in c) return `has tag ${c.has_tag || "…"}`;
  if ("lacks_tag" in c) return `lacks tag ${c.lacks_tag || "…"}`;
  if ("field" in c) return compare(c.field.field, c.field.op, c.field.value);
  if ("payload" in c) return compare(`trigger.${c.payload.path || "…"}`, c.payload.op, c.payload.value);
  if ("engagement" in c) {
    const e = c.engagement;
    return `${e.action} ${e.email ? `“${e.email}”` : "an email"} within ${describeDuration(e.within)}`;
  }
  if ("had_event" in c) {
    const h = c.had_event;
    return `had ${h.event_type || "…"}${h.within ? ` within ${describeDuration(h.within)}` : ""}`;
  }
  if ("random_split" in c) return `${c.random_split.percent} % of runs`;
  if ("time_window" in c) {
    const t = c.time_window;
    const days = t.weekdays && t.weekdays.length > 0 ? ` on ${t.weekdays.join(", ")}` : "";
    return `between ${t.from} and ${t.to}${days}`;
  }
  return "…";
}

function compare(what: string, op: Op, value: unknown): string {
  const v = opNeedsValue(op) ? ` ${valueToText(value) || "…"}` : "";
  return `${what || "…"} ${opTitle(op)}${v}`;
}
