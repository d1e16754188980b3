import type { ContactStatus, Run, Step } from "@/api";
import type { BadgeTone } from "@/components";

/** How each contact status reads. */
export const statusTone: Record<ContactStatus, BadgeTone> = {
  subscribed: "success",
  unsubscribed: "neutral",
  bounced: "danger",
};

export const runTone: Record<Run["status"], BadgeTone> = {
  running: "accent",
  waiting: "warning",
  completed: "success",
  exited: "neutral",
  failed: "danger",
};

export const stepTone: Record<Step["status"], BadgeTone> = {
  ok: "success",
  failed: "danger",
  skipped: "neutral",
  waiting: "warning",
  pending: "accent",
};
