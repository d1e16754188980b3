// The node kinds of a workflow, as the palette and the canvas show them.
//
// The list mirrors `NodeSpec::KINDS` in crates/cairn-model/src/workflow.rs
// (same order, same titles). `Record<Kind, …>` makes the compiler refuse a
// kind the generated bindings know and this table does not.

import type { Node, NodeFamily, NodeSpec } from "@/bindings";

/** Every node kind name, such as "trigger.purchase_completed". */
export type Kind = NodeSpec["kind"];

/** A node of one kind. */
export type NodeOf<K extends Kind> = Extract<Node, { kind: K }>;

/** Palette groups, in the order the palette shows them. */
export type Group = "triggers" | "flow" | "waits" | "actions";

export const GROUPS: { id: Group; title: string }[] = [
  { id: "triggers", title: "Triggers" },
  { id: "flow", title: "Flow" },
  { id: "waits", title: "Waits" },
  { id: "actions", title: "Actions" },
];

/**
 * The name of the icon a kind is drawn with (a lucide icon; the editor maps
 * names to components, so this module stays free of React).
 */
export type IconName =
  | "user-plus"
  | "clipboard-list"
  | "shopping-cart"
  | "undo-2"
  | "triangle-alert"
  | "tag"
  | "tag-x"
  | "mouse-pointer-click"
  | "mail-open"
  | "reply"
  | "graduation-cap"
  | "award"
  | "kanban"
  | "calendar"
  | "repeat"
  | "hand"
  | "zap"
  | "split"
  | "git-fork"
  | "flask-conical"
  | "timer"
  | "clock"
  | "calendar-clock"
  | "hourglass"
  | "circle-stop"
  | "send"
  | "pencil"
  | "briefcase"
  | "arrow-right-left"
  | "book-open"
  | "book-x"
  | "play"
  | "log-out"
  | "webhook"
  | "bell"
  | "mail-x";

export type KindInfo = {
  kind: Kind;
  family: NodeFamily;
  group: Group;
  /** As in the palette (NodeSpec::title_of). */
  title: string;
  /** One line on what the node does, under the title in the palette. */
  blurb: string;
  icon: IconName;
};

const info = (
  kind: Kind,
  family: NodeFamily,
  title: string,
  blurb: string,
  icon: IconName,
): KindInfo => ({
  kind,
  family,
  group: family === "trigger" ? "triggers" : family === "wait" ? "waits" : family === "action" ? "actions" : "flow",
  title,
  blurb,
  icon,
});

export const KIND_INFO: Record<Kind, KindInfo> = {
  "trigger.contact_created": info("trigger.contact_created", "trigger", "Contact created (signup)", "A new contact signs up", "user-plus"),
  "trigger.form_submitted": info("trigger.form_submitted", "trigger", "Form submitted", "A form tool response arrives", "clipboard-list"),
  "trigger.purchase_completed": info("trigger.purchase_completed", "trigger", "Purchase completed", "Someone buys a product", "shopping-cart"),
  "trigger.refund_issued": info("trigger.refund_issued", "trigger", "Refund issued", "A purchase is refunded", "undo-2"),
  "trigger.tag_added": info("trigger.tag_added", "trigger", "Tag added", "A contact gets a tag", "tag"),
  "trigger.tag_removed": info("trigger.tag_removed", "trigger", "Tag removed", "A contact loses a tag", "tag-x"),
  "trigger.link_clicked": info("trigger.link_clicked", "trigger", "Link clicked", "A link in an email is clicked", "mouse-pointer-click"),
  "trigger.email_opened": info("trigger.email_opened", "trigger", "Email opened", "An email is opened", "mail-open"),
  "trigger.email_replied": info("trigger.email_replied", "trigger", "Email replied", "A contact answers an email (read from the sending mailbox)", "reply"),
  "trigger.course_progress": info("trigger.course_progress", "trigger", "Course progress", "A course reaches N %", "graduation-cap"),
  "trigger.course_completed": info("trigger.course_completed", "trigger", "Course completed", "A course is finished", "award"),
  "trigger.deal_stage_changed": info("trigger.deal_stage_changed", "trigger", "Deal stage changed", "A deal moves to a stage", "kanban"),
  "trigger.date": info("trigger.date", "trigger", "Date-based", "Days before or after a date", "calendar"),
  "trigger.schedule": info("trigger.schedule", "trigger", "Schedule", "Every day or week at a time", "repeat"),
  "trigger.manual": info("trigger.manual", "trigger", "Manual / test contact", "Added by hand or for a test", "hand"),
  "trigger.event": info("trigger.event", "trigger", "Custom event", "Any event type you emit", "zap"),
  "trigger.workflow_failed": info(
    "trigger.workflow_failed",
    "trigger",
    "A run of another workflow failed",
    "Started by another workflow's \"when a run fails\"",
    "triangle-alert",
  ),
  condition: info("condition", "flow", "Condition (yes / no)", "Two ways: yes or no", "split"),
  branch: info("branch", "flow", "Branch", "Ordered paths, first match wins", "git-fork"),
  split: info("split", "flow", "A/B split", "Named variants by weight, compared in analytics", "flask-conical"),
  "wait.duration": info("wait.duration", "wait", "Wait for a duration", "Such as 2 days or 3 hours", "timer"),
  "wait.until_time": info("wait.until_time", "wait", "Wait until a weekday and time", "Such as Monday 09:00", "clock"),
  "wait.until_date": info("wait.until_date", "wait", "Wait until a contact date", "Days around a date field", "calendar-clock"),
  "wait.for_event": info("wait.for_event", "wait", "Wait for an event", "Arrived or timed out", "hourglass"),
  end: info("end", "flow", "End", "The run is complete", "circle-stop"),
  "action.send_email": info("action.send_email", "action", "Send email", "A template over SMTP", "send"),
  "action.add_tag": info("action.add_tag", "action", "Add tag", "Tag the contact", "tag"),
  "action.remove_tag": info("action.remove_tag", "action", "Remove tag", "Untag the contact", "tag-x"),
  "action.set_field": info("action.set_field", "action", "Set field", "Write a contact field", "pencil"),
  "action.create_deal": info("action.create_deal", "action", "Create deal", "Open a deal in a pipeline", "briefcase"),
  "action.move_deal": info("action.move_deal", "action", "Move deal to stage", "Move the contact's deal", "arrow-right-left"),
  "action.enroll_course": info("action.enroll_course", "action", "Enroll in course", "Give course access", "book-open"),
  "action.unenroll_course": info("action.unenroll_course", "action", "Unenroll from course", "Take course access away", "book-x"),
  "action.start_workflow": info("action.start_workflow", "action", "Start another workflow", "Hand over to a workflow", "play"),
  "action.remove_from_workflow": info("action.remove_from_workflow", "action", "Remove from a workflow", "End the contact's run there", "log-out"),
  "action.webhook": info("action.webhook", "action", "Post webhook", "Call any HTTP endpoint", "webhook"),
  "action.notify": info("action.notify", "action", "Notify the team", "Slack, desktop or email", "bell"),
  "action.unsubscribe": info("action.unsubscribe", "action", "Unsubscribe", "No more email to them", "mail-x"),
};

/** Every kind in palette order (the order of NodeSpec::KINDS). */
export const KINDS: Kind[] = Object.keys(KIND_INFO) as Kind[];

export function isKind(value: string): value is Kind {
  return Object.prototype.hasOwnProperty.call(KIND_INFO, value);
}

export function kindsIn(group: Group): KindInfo[] {
  return KINDS.map((k) => KIND_INFO[k]).filter((i) => i.group === group);
}

export function isTrigger(kind: Kind): boolean {
  return KIND_INFO[kind].family === "trigger";
}

export function isAction(kind: Kind): boolean {
  return KIND_INFO[kind].family === "action";
}

/** The settings a node of `kind` starts with when it is added to the canvas. */
export function defaultConfig(kind: Kind): NodeSpec["config"] {
  switch (kind) {
    case "trigger.contact_created":
    case "trigger.purchase_completed":
    case "trigger.refund_issued":
    case "trigger.form_submitted":
    case "trigger.link_clicked":
    case "trigger.email_opened":
    case "trigger.email_replied":
    case "trigger.manual":
    case "trigger.workflow_failed":
    case "end":
      return {};
    case "trigger.tag_added":
    case "trigger.tag_removed":
      return { tag: "" };
    case "trigger.course_progress":
      return { course: "", at_least_percent: 50 };
    case "trigger.course_completed":
      return { course: "" };
    case "trigger.deal_stage_changed":
      return { pipeline: "" };
    case "trigger.date":
      return { field: "", time: "09:00" };
    case "trigger.schedule":
      return { every: "day", time: "09:00" };
    case "trigger.event":
      return { event_type: "" };
    case "condition":
      return { condition: { all: [{ has_tag: "" }] } };
    case "branch":
      return {
        paths: [
          { name: "Path 1", condition: { all: [{ has_tag: "" }] } },
        ],
      };
    case "split":
      return {
        variants: [
          { name: "A", weight: 1 },
          { name: "B", weight: 1 },
        ],
      };
    case "wait.duration":
      return { duration: "1d" };
    case "wait.until_time":
      return { time: "09:00" };
    case "wait.until_date":
      return { field: "", time: "09:00" };
    case "wait.for_event":
      return { event_type: "", timeout: "3d" };
    case "action.send_email":
      return { template: "", account: "" };
    case "action.add_tag":
    case "action.remove_tag":
      return { tag: "" };
    case "action.set_field":
      return { field: "", value: "" };
    case "action.create_deal":
    case "action.move_deal":
      return { pipeline: "", stage: "" };
    case "action.enroll_course":
    case "action.unenroll_course":
      return { course: "" };
    case "action.start_workflow":
    case "action.remove_from_workflow":
      return { workflow: "" };
    case "action.webhook":
      return { method: "POST", url: "" };
    case "action.notify":
      return { channel: "desktop", message: "" };
    case "action.unsubscribe":
      return {};
  }
}

/** A new node of `kind` with its default settings. */
export function newNode(kind: Kind, id: string, position: { x: number; y: number }): Node {
  return { id, position, kind, config: defaultConfig(kind) } as Node;
}
