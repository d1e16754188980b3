// Commands of the Workflows screen and the canvas editor
// (src-tauri/commands/workflows.rs) and the native file dialogs they use.

import { open, save } from "@tauri-apps/plugin-dialog";

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
  duplicate: (name: string) => call("duplicate_workflow", { name }),
  remove: (name: string) => call("delete_workflow", { name }),
  importFile: (path: string, replace: boolean) => call("import_workflow_file", { path, replace }),
  exportFile: (name: string, path: string) => call("export_workflow_file", { name, path }),
};

// --- Native file dialogs ---------------------------------------------------
//
// WebDriver cannot click inside a native dialog. The end-to-end tests
// (tests/e2e/workflows.rs) therefore queue the path the user "picks" on the
// page, in `window.__cairnPickedPaths`, before clicking Import or Export;
// when the queue holds a path the picker returns it instead of opening the
// dialog. Nothing else sets it; only the app's own scripts run in the page
// (see the CSP in tauri.conf.json), and a path chosen this way reaches the
// same command a path from the dialog reaches.

declare global {
  interface Window {
    __cairnPickedPaths?: (string | null)[];
  }
}

function queuedPick(): { path: string | null } | null {
  const queue = window.__cairnPickedPaths;
  if (!queue || queue.length === 0) return null;
  return { path: queue.shift() ?? null };
}

const workflowFiles = [{ name: "Cairn workflow", extensions: ["json"] }];

/** Asks for a workflow file to import; null when the user cancelled. */
export async function pickWorkflowFile(): Promise<string | null> {
  const queued = queuedPick();
  if (queued) return queued.path;
  const picked = await open({ title: "Import a workflow", multiple: false, directory: false, filters: workflowFiles });
  return typeof picked === "string" ? picked : null;
}

/** Asks where to export a workflow; null when the user cancelled. */
export async function pickExportPath(suggestedName: string): Promise<string | null> {
  const queued = queuedPick();
  if (queued) return queued.path;
  const safe = suggestedName.replace(/[\\/:*?"<>|]+/g, "-").trim() || "workflow";
  const picked = await save({ title: "Export the workflow", defaultPath: `${safe}.json`, filters: workflowFiles });
  return picked ?? null;
}
