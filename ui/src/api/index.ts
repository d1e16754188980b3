// The one typed door from the UI to the Rust commands.
//
// Every command is listed in `Commands` with its arguments and result, so a
// misspelt name or a wrong argument is a type error, and every failure
// arrives as an ApiError {code, message}. Screens call `api.*`, never
// `invoke` directly (ESLint keeps @tauri-apps out of other layers).

import { invoke } from "@tauri-apps/api/core";

import { toApiError } from "./errors";
import type { WorkflowSummary } from "./types";

export { ApiError, IPC_ERROR, UNKNOWN_ERROR, toApiError } from "./errors";
export type { CommandError, WorkflowStatus, WorkflowSummary } from "./types";

/** Command name → its arguments and its result (mirrors src-tauri/commands). */
export type Commands = {
  list_workflows: { args: Record<string, never>; result: WorkflowSummary[] };
};

/** Calls a command; rejects with an ApiError. */
export async function call<K extends keyof Commands>(
  command: K,
  args: Commands[K]["args"],
): Promise<Commands[K]["result"]> {
  try {
    return await invoke<Commands[K]["result"]>(command, args);
  } catch (reason) {
    throw toApiError(reason);
  }
}

export const api = {
  /** Every workflow, ordered by name. */
  listWorkflows: () => call("list_workflows", {}),
};

// The screens' own command modules (one per screen, each with its typed
// command map) and the types they exchange.
export { accountsApi } from "./accounts";
export { activityApi, CHANGE_EVENT } from "./activity";
export { type ColumnMapping, contactsApi } from "./contacts";
export {
  pickBackupDestination,
  pickBackupFile,
  pickContactExportPath,
  pickContactsCsvPath,
  pickCsvFile,
  pickExportPath,
  pickWorkflowFile,
} from "./dialog";
export { emailTemplatesApi } from "./emailTemplates";
export { settingsApi } from "./settings";
export type {
  Account,
  AccountKind,
  AccountStatus,
  BulkAction,
  BulkReport,
  ConsentEntry,
  ConsentVia,
  Contact,
  ContactInput,
  ContactQuery,
  ContactSort,
  ContactStatus,
  CsvImportReport,
  CsvPreview,
  Deal,
  EmailKind,
  EmailTemplate,
  Enrollment,
  ErasureReport,
  Event,
  FieldDef,
  FieldType,
  InvalidRow,
  Pipeline,
  RenderedEmail,
  Run,
  RunStatus,
  SaveOutcome,
  SendWindow,
  Step,
  StepStatus,
  Weekday,
} from "@/bindings";
export type {
  AccountView,
  ActivityEvent,
  AppSettings,
  Change,
  SecretView,
  SenderDefaults,
  SmtpAccountInput,
  SyncSummary,
  TemplateEntry,
} from "@/bindings/app";

// The Workflows screen and the canvas editor.
export { workflowsApi } from "./workflows";
export type {
  CatalogNames,
  Condition,
  Edge,
  ErrorPolicy,
  Filter,
  Goal,
  HeaderValue,
  ImportOutcome,
  Issue,
  LastError,
  LatePolicy,
  Node,
  Op,
  Reentry,
  Report,
  WorkflowDef,
  WorkflowOverview,
} from "@/bindings";

// Running in the background and keeping the database in order (Settings'
// housekeeping section, the wake notice).
export {
  BACKGROUND_EVENT,
  RESTORED_EVENT,
  housekeepingApi,
} from "./housekeeping";
export type {
  AlertPolicy,
  BackgroundSummary,
  BackupInfo,
  DatabaseStats,
  Incident,
  MaintenanceReport,
  PauseReport,
  RestoreReport,
  TableUsage,
} from "@/bindings";
export type { BackgroundStatus } from "@/bindings/app";

// The editor's test run panel and the run counts on its canvas.
export { testRunsApi } from "./testRuns";
export type { NodeCounts, RunMode } from "@/bindings";
export type { TestRun, TestRunRequest } from "@/bindings/app";

// The templates gallery and the analytics screens.
export { analyticsApi, templatesApi } from "./insights";
export type {
  AccountUse,
  CompletionTimes,
  DayPoint,
  DropOff,
  TemplateInfo,
  WorkflowStats,
} from "@/bindings";
