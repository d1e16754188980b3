// Commands of the templates gallery and the analytics screens
// (src-tauri/commands/templates.rs and analytics.rs).

import type { ImportOutcome, SaveOutcome, TemplateInfo, WorkflowDef, WorkflowStats } from "@/bindings";

import { commandCaller } from "./invoke";

type None = Record<string, never>;

type InsightsCommands = {
  list_templates: { args: None; result: TemplateInfo[] };
  template_workflow: { args: { slug: string }; result: WorkflowDef };
  use_template: { args: { slug: string }; result: ImportOutcome };
  workflow_analytics: { args: { id: number; days: number | null }; result: WorkflowStats };
  analytics_overview: { args: { days: number | null }; result: WorkflowStats[] };
  declare_split_winner: { args: { id: number; node: string; variant: string }; result: SaveOutcome };
};

const call = commandCaller<InsightsCommands>();

export const templatesApi = {
  /** The built-in templates' cards, in gallery order. */
  list: () => call("list_templates", {}),
  /** A template's workflow, for the read-only preview. */
  workflow: (slug: string) => call("template_workflow", { slug }),
  /** Imports a template (paused; a taken name becomes a copy). */
  use: (slug: string) => call("use_template", { slug }),
};

export const analyticsApi = {
  /** One workflow's figures over the last `days` days, or all time (`null`). */
  workflow: (id: number, days: number | null) => call("workflow_analytics", { id, days }),
  /** Every workflow's figures over the same range. */
  overview: (days: number | null) => call("analytics_overview", { days }),
  /** Declares a split's winner: a new version sends every new run to it. */
  declareWinner: (id: number, node: string, variant: string) => call("declare_split_winner", { id, node, variant }),
};
