// Commands of the Workflows screen and the canvas editor
// (src-tauri/commands/workflows.rs); their file pickers are in ./dialog.

import type {
  CatalogNames,
  ImportOutcome,
  Report,
  SaveOutcome,
  WorkflowDef,
  WorkflowOverview,
  WorkflowStatus,
  WorkflowSummary,
} from "@/bindings";
import type { Forecast } from "@/bindings/app";

import { commandCaller } from "./invoke";

type None = Record<string, never>;

type WorkflowCommands = {
  list_workflow_overviews: { args: None; result: WorkflowOverview[] };
  create_workflow: { args: { name: string }; result: SaveOutcome };
  get_workflow: { args: { id: number }; result: [WorkflowSummary, WorkflowDef] };
  workflow_catalog: { args: None; result: CatalogNames };
  validate_workflow: { args: { draft: WorkflowDef }; result: Report };
  save_workflow: { args: { id: number; draft: WorkflowDef }; result: SaveOutcome };
  workflow_report: { args: { name: string }; result: Report };
  set_workflow_status: { args: { name: string; status: WorkflowStatus }; result: WorkflowSummary };
  forecast_workflow: { args: { name: string; draft: WorkflowDef | null; days: number }; result: Forecast };
  duplicate_workflow: { args: { name: string }; result: WorkflowSummary };
  delete_workflow: { args: { name: string }; result: null };
  import_workflow_file: { args: { path: string; replace: boolean }; result: ImportOutcome };
  export_workflow_file: { args: { name: string; path: string }; result: number };
};

const call = commandCaller<WorkflowCommands>();

export const workflowsApi = {
  /** Every workflow with its headline numbers, ordered by name. */
  overviews: () => call("list_workflow_overviews", {}),
  /** A new empty draft; a taken name rejects with code "conflict". */
  create: (name: string) => call("create_workflow", { name }),
  /** The summary and current definition of one workflow. */
  get: (id: number) => call("get_workflow", { id }),
  /** What exists by name, for the inspector's pickers. */
  catalog: () => call("workflow_catalog", {}),
  /** Validates a draft; a value the file reader refuses is an issue on its node. */
  validate: (draft: WorkflowDef) => call("validate_workflow", { draft }),
  save: (id: number, draft: WorkflowDef) => call("save_workflow", { id, draft }),
  /** What activation checks, for the saved version. */
  report: (name: string) => call("workflow_report", { name }),
  setStatus: (name: string, status: WorkflowStatus) => call("set_workflow_status", { name, status }),
  /**
   * What activating the saved workflow — or saving `draft` as its next
   * version — would do over the next `days` days (1–366): the engine on a
   * copy of the database; nothing is sent. Errors as activation would
   * (`validation_failed`).
   */
  forecast: (name: string, days: number, draft: WorkflowDef | null = null) =>
    call("forecast_workflow", { name, draft, days }),
  duplicate: (name: string) => call("duplicate_workflow", { name }),
  remove: (name: string) => call("delete_workflow", { name }),
  importFile: (path: string, replace: boolean) => call("import_workflow_file", { path, replace }),
  exportFile: (name: string, path: string) => call("export_workflow_file", { name, path }),
};
