// One line per node, under its title on the canvas: what this node will do
// with the settings it has ("Send “Receipt” via Gmail", "Wait 2 days").
// Missing settings read as "…" so an unfinished node looks unfinished.

import type { Filter, Node, NotifyChannel } from "@/bindings";

import { describeCondition, opTitle, valueToText } from "./conditions";
import { describeDuration } from "./duration";

const q = (s: string | undefined | null) => (s && s.trim() ? `“${s}”` : "…");
const or = (s: string | undefined | null) => (s && s.trim() ? s : "…");

export function describeFilters(filters: readonly Filter[] | undefined): string {
  if (!filters || filters.length === 0) return "";
  return filters
    .map((f) => `${f.path || "…"} ${opTitle(f.op)}${f.op === "is_set" || f.op === "is_not_set" ? "" : ` ${valueToText(f.value) || "…"}`}`)
    .join(", ");
}

function withFilters(base: string, filters: readonly Filter[] | undefined): string {
  const f = describeFilters(filters);
  return f ? `${base}: ${f}` : base;
}

function channel(c: NotifyChannel): string {
  if (c === "desktop") return "desktop notification";
  if ("slack" in c) return `Slack (${or(c.slack.account)})`;
  return `email to the owner of ${or(c.email_owner.account)}`;
}

export function summarize(node: Node): string {
  switch (node.kind) {
    case "trigger.contact_created":
      return withFilters("Any new contact", node.config.filters);
    case "trigger.form_submitted":
      return withFilters(node.config.form ? `Form ${q(node.config.form)}` : "Any form", node.config.filters);
    case "trigger.purchase_completed":
      return withFilters("Any purchase", node.config.filters);
    case "trigger.refund_issued":
      return withFilters("Any refund", node.config.filters);
    case "trigger.workflow_failed":
      return withFilters("A run of a workflow that starts this one failed", node.config.filters);
    case "trigger.tag_added":
      return withFilters(`Tag ${or(node.config.tag)} added`, node.config.filters);
    case "trigger.tag_removed":
      return withFilters(`Tag ${or(node.config.tag)} removed`, node.config.filters);
    case "trigger.link_clicked":
      return node.config.url_contains ? `Link containing ${q(node.config.url_contains)}` : "Any link";
    case "trigger.email_opened":
    case "trigger.email_replied":
      return node.config.email ? `Email ${q(node.config.email)}` : "Any email";
    case "trigger.course_progress":
      return `${or(node.config.course)} at ${node.config.at_least_percent} %`;
    case "trigger.course_completed":
      return `${or(node.config.course)} completed`;
    case "trigger.deal_stage_changed":
      return `${or(node.config.pipeline)}${node.config.stage ? ` → ${node.config.stage}` : ""}`;
    case "trigger.date": {
      const c = node.config;
      if (c.date) return `On ${c.date} at ${c.time}`;
      const off = c.offset_days ?? 0;
      const when = off === 0 ? "On" : off > 0 ? `${off} days after` : `${-off} days before`;
      return `${when} ${or(c.field)} at ${c.time}${c.yearly ? ", yearly" : ""}`;
    }
    case "trigger.schedule":
      return node.config.every === "day"
        ? `Every day at ${node.config.time}`
        : `Every ${(node.config.weekdays ?? []).join(", ") || "…"} at ${node.config.time}`;
    case "trigger.manual":
      return "Added by hand or as a test";
    case "trigger.event":
      return withFilters(`Event ${or(node.config.event_type)}`, node.config.filters);
    case "condition":
      return `If ${describeCondition(node.config.condition)}`;
    case "branch":
      return `${node.config.paths.length} path${node.config.paths.length === 1 ? "" : "s"} + otherwise`;
    case "split": {
      const { variants, winner } = node.config;
      if (winner) return `Winner: ${winner} (every run)`;
      const total = variants.reduce((sum, v) => sum + v.weight, 0);
      return variants.map((v) => `${v.name || "…"} ${total > 0 ? Math.round((v.weight / total) * 100) : 0} %`).join(" / ");
    }
    case "wait.duration":
      return `Wait ${describeDuration(node.config.duration)}`;
    case "wait.until_time": {
      const days = node.config.weekdays ?? [];
      return `Until ${days.length ? days.join(", ") : "any day"} at ${node.config.time}`;
    }
    case "wait.until_date": {
      const off = node.config.offset_days ?? 0;
      const when = off === 0 ? "on" : off > 0 ? `${off} days after` : `${-off} days before`;
      return `Until ${when} ${or(node.config.field)} at ${node.config.time}`;
    }
    case "wait.for_event":
      return `${or(node.config.event_type)}, up to ${describeDuration(node.config.timeout)}`;
    case "end":
      return "The run is complete";
    case "action.send_email":
      return `${q(node.config.template)} via ${or(node.config.account)}`;
    case "action.add_tag":
      return `Add ${or(node.config.tag)}`;
    case "action.remove_tag":
      return `Remove ${or(node.config.tag)}`;
    case "action.set_field":
      return `${or(node.config.field)} = ${or(node.config.value)}`;
    case "action.create_deal":
    case "action.move_deal":
      return `${or(node.config.pipeline)} → ${or(node.config.stage)}`;
    case "action.enroll_course":
    case "action.unenroll_course":
      return or(node.config.course);
    case "action.start_workflow":
    case "action.remove_from_workflow":
      return or(node.config.workflow);
    case "action.webhook":
      return `${node.config.method} ${or(node.config.url)}`;
    case "action.notify":
      return channel(node.config.channel);
    case "action.unsubscribe":
      return "No more email to this contact";
  }
}
