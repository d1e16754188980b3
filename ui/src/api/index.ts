// The one typed door from the UI to the Rust commands.
//
// Each screen's module lists its commands with their arguments and results
// (invoke.ts), so a misspelt name or a wrong argument is a type error, and
// every failure arrives as an ApiError {code, message}. Screens call
// `<screen>Api.*`, never `invoke` directly (ESLint keeps @tauri-apps out of
// other layers); window events come through `subscribe` (events.ts).

export { ApiError, IPC_ERROR, UNKNOWN_ERROR, toApiError } from "./errors";
export type { ApiErrorCode } from "./errors";
export type { CommandError, WorkflowStatus, WorkflowSummary } from "./types";

// The screens' own command modules (one per screen, each with its typed
// command map) and the types they exchange.
export { accountsApi } from "./accounts";
export { activityApi } from "./activity";
export { queryKeys } from "./queryKeys";
export { type AppEvent, type AppEvents, BACKGROUND_EVENT, CHANGE_EVENT, RESTORED_EVENT, subscribe } from "./events";
export { type ColumnMapping, contactsApi } from "./contacts";
export { pipelinesApi } from "./pipelines";
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
export { watchApi } from "./watch";
export type {
  Account,
  AccountKind,
  AccountStatus,
  BoardDeal,
  StageUse,
  BoardQuery,
  BulkAction,
  BulkReport,
  ConsentEntry,
  ConsentVia,
  Contact,
  ContactInput,
  ContactQuery,
  ContactSort,
  ContactStatus,
  CoursePlatform,
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
  StepDetail,
  StepStatus,
  Weekday,
} from "@/bindings";
export type {
  AccountView,
  ActivityEvent,
  AppSettings,
  Change,
  CourseLink,
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
export { housekeepingApi } from "./housekeeping";
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

// Re-running failed runs: a workflow's failures and the run page.
export { runsApi } from "./runs";
export type { FailureFilter } from "@/bindings";
export type { Retried, RetryFrom } from "@/bindings/app";

// The forecast before activation.
export type { ConfirmReason, Forecast, ForecastCounts, ForecastPath, ForecastWindow } from "@/bindings/app";

// The templates gallery and the analytics screens.
export { analyticsApi, templatesApi } from "./insights";
export type {
  AccountUse,
  CompletionTimes,
  DayPoint,
  DropOff,
  SplitResults,
  TemplateInfo,
  VariantResult,
  WorkflowStats,
} from "@/bindings";

// After activation: the 48-hour watch, drift, the customer-experience number.
export type { DriftMetric, DriftReport, ExperienceGroup, ExperienceNumber, MetricDrift, WatchFailure, WatchState } from "@/bindings";
