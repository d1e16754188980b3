// Every react-query cache key of the UI, in one place: a screen that
// changes something invalidates the keys of what it changed, and seeing
// every key side by side shows which prefixes an invalidation reaches
// (`contacts.all` reaches every contact query, `runs` every run's steps).

import type { EmailTemplate } from "@/bindings";

export const queryKeys = {
  workflows: ["workflows"] as const,
  /** One workflow and its definition, as the editor opens it. */
  workflow: (id: number) => ["workflow", id] as const,
  /** What activating a workflow would do over the next days (the activation dialog). */
  forecast: (name: string, days: number) => ["forecast", name, days] as const,
  /** What exists by name, for the editor's pickers. */
  catalog: ["workflow-catalog"] as const,
  /** The live runs' counts per node of one workflow (the canvas badges). */
  nodeCounts: (workflow: string) => ["node-counts", workflow] as const,
  /** One test run of the editor's test panel, with its steps. */
  testRun: (runId: number) => ["test-run", runId] as const,

  contacts: {
    all: ["contacts"] as const,
    count: (filters: string) => ["contacts", "count", filters] as const,
    page: (filters: string, page: number) => ["contacts", "page", filters, page] as const,
    tags: ["contacts", "tags"] as const,
    fields: ["contacts", "fields"] as const,
    pipelines: ["contacts", "pipelines"] as const,
    courses: ["contacts", "courses"] as const,
    /** A few contacts to preview an email template with. */
    previewSample: ["contacts", "preview-sample"] as const,
    /** When an address was erased, if it was. */
    erasedAt: (email: string) => ["contacts", "erased-at", email] as const,
    /** Contacts matching the test panel's search. */
    testPicker: (search: string) => ["contacts", "test-picker", search] as const,
    /** Everything about one contact (the prefix of the keys below). */
    one: (id: number) => ["contacts", "one", id] as const,
    contact: (id: number) => ["contacts", "one", id, "contact"] as const,
    deals: (id: number) => ["contacts", "one", id, "deals"] as const,
    enrollments: (id: number) => ["contacts", "one", id, "enrollments"] as const,
    events: (id: number) => ["contacts", "one", id, "events"] as const,
    runs: (id: number) => ["contacts", "one", id, "runs"] as const,
    consent: (id: number) => ["contacts", "one", id, "consent"] as const,
    erasurePreview: (id: number) => ["contacts", "one", id, "erasure-preview"] as const,
  },
  /** The pipeline board's deals (the prefix), and one query's. */
  board: ["board"] as const,
  boardDeals: (query: string) => ["board", query] as const,
  /** Which workflows name a pipeline's stages (under the board's prefix: edits reload it). */
  pipelineUsage: (pipeline: string) => ["board", "usage", pipeline] as const,
  /** Every run's steps (the prefix). */
  runs: ["runs"] as const,
  runSteps: (runId: number) => ["runs", runId, "steps"] as const,
  /** One run with its steps (the run page). */
  run: (runId: number) => ["runs", runId, "page"] as const,
  /** A workflow's failures to re-run, by filter. */
  failures: (workflow: string, node: string, error: string) => ["runs", "failures", workflow, node, error] as const,

  activity: {
    all: ["activity"] as const,
    events: ["activity", "events"] as const,
    runs: ["activity", "runs"] as const,
  },

  emailTemplates: ["email-templates"] as const,
  emailPreview: (workflow: string, draft: EmailTemplate, contactId: number | null, account: string | null) =>
    ["email-preview", workflow, draft, contactId, account] as const,
  templates: ["templates"] as const,
  template: (slug: string) => ["template", slug] as const,

  settings: ["settings"] as const,
  accounts: ["accounts"] as const,
  linkedCourses: (account: string) => ["accounts", "courses", account] as const,
  backgroundStatus: ["background-status"] as const,
  databaseStats: ["database-stats"] as const,
  alertPolicy: ["alert-policy"] as const,
  autostart: ["autostart"] as const,

  analytics: {
    workflow: (id: number, days: number | null) => ["analytics", id, days] as const,
    overview: (days: number | null) => ["analytics", "overview", days] as const,
    drift: (id: number) => ["analytics", "drift", id] as const,
    experience: (id: number, since: string, until: string) => ["analytics", "experience", id, since, until] as const,
  },
  watch: {
    all: ["watch"] as const,
    one: (id: number) => ["watch", id] as const,
  },
};
