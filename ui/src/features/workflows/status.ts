import type { BadgeTone } from "@/components";
import type { WorkflowStatus } from "@/api";

/** How each workflow status reads in the list. */
export const statusBadge: Record<WorkflowStatus, { label: string; tone: BadgeTone; hint: string }> = {
  active: { label: "Active", tone: "success", hint: "Runs for every contact that meets a trigger." },
  paused: { label: "Paused", tone: "warning", hint: "Nothing new starts; activate it to run." },
  draft: { label: "Draft", tone: "neutral", hint: "Not activated yet." },
};
