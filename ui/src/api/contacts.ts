// Commands of the Contacts screen (src-tauri/commands/contacts.rs).

import type {
  BulkAction,
  BulkReport,
  ConsentEntry,
  Contact,
  ContactInput,
  ContactQuery,
  CsvImportReport,
  CsvPreview,
  Deal,
  Enrollment,
  ErasureReport,
  Event,
  FieldDef,
  Pipeline,
  Run,
  Step,
} from "@/bindings";

import { commandCaller } from "./invoke";

type None = Record<string, never>;

/** The import's mapping step: header cell → built-in column, field or NAME:TYPE; columns left out. */
export type ColumnMapping = { map: Record<string, string>; skip_columns: string[] };

type ContactCommands = {
  list_contacts: { args: { query: ContactQuery }; result: Contact[] };
  count_contacts: { args: { query: ContactQuery }; result: number };
  list_tags: { args: None; result: string[] };
  list_fields: { args: None; result: FieldDef[] };
  get_contact: { args: { id: number }; result: Contact };
  add_contact: { args: { input: ContactInput; resubscribeErased?: boolean }; result: Contact };
  update_contact: { args: { id: number; input: ContactInput; untag: string[] }; result: Contact };
  import_contacts_csv: {
    args: { path: string; skipInvalid: boolean; mapping?: ColumnMapping };
    result: CsvImportReport;
  };
  preview_contacts_csv: { args: { path: string }; result: CsvPreview };
  list_pipelines: { args: None; result: Pipeline[] };
  contact_deals: { args: { contactId: number }; result: Deal[] };
  set_deal_stage: { args: { dealId: number; stage: string }; result: null };
  create_deal: {
    args: { contactId: number; pipeline: string; stage: string; title: string; value: number | null };
    result: number;
  };
  list_courses: { args: None; result: string[] };
  contact_enrollments: { args: { contactId: number }; result: Enrollment[] };
  set_course_access: { args: { contactId: number; course: string; enrolled: boolean }; result: boolean };
  contact_events: { args: { contactId: number }; result: Event[] };
  contact_runs: { args: { contactId: number }; result: Run[] };
  run_steps: { args: { runId: number }; result: Step[] };
  contact_erased_at: { args: { email: string }; result: string | null };
  contact_consent: { args: { contactId: number }; result: ConsentEntry[] };
  erasure_preview: { args: { contactId: number }; result: ErasureReport };
  erase_contact: { args: { contactId: number }; result: ErasureReport };
  export_contact: { args: { contactId: number; path: string }; result: null };
  bulk_contacts: { args: { query: ContactQuery; action: BulkAction }; result: BulkReport };
  export_contacts_csv: { args: { query: ContactQuery; path: string }; result: number };
};

const call = commandCaller<ContactCommands>();

export const contactsApi = {
  /** One page of contacts (the query's limit and offset). */
  list: (query: ContactQuery) => call("list_contacts", { query }),
  /** How many contacts match (paging ignored). */
  count: (query: ContactQuery) => call("count_contacts", { query }),
  tags: () => call("list_tags", {}),
  fields: () => call("list_fields", {}),
  get: (id: number) => call("get_contact", { id }),
  /** Adds a contact; one erased earlier comes back unsubscribed unless `resubscribeErased`. */
  add: (input: ContactInput, resubscribeErased = false) =>
    call("add_contact", resubscribeErased ? { input, resubscribeErased } : { input }),
  update: (id: number, input: ContactInput, untag: string[]) => call("update_contact", { id, input, untag }),
  /** Imports the CSV file at `path`; with invalid rows and !skipInvalid, writes nothing. */
  importCsv: (path: string, skipInvalid: boolean, mapping?: ColumnMapping) =>
    call("import_contacts_csv", mapping ? { path, skipInvalid, mapping } : { path, skipInvalid }),
  /** The header and first rows of a CSV file, with the columns that need a mapping. */
  previewCsv: (path: string) => call("preview_contacts_csv", { path }),
  pipelines: () => call("list_pipelines", {}),
  deals: (contactId: number) => call("contact_deals", { contactId }),
  /** Moves a deal; records deal.stage_changed and wakes the executor. */
  setDealStage: (dealId: number, stage: string) => call("set_deal_stage", { dealId, stage }),
  createDeal: (contactId: number, pipeline: string, stage: string, title: string, value: number | null) =>
    call("create_deal", { contactId, pipeline, stage, title, value }),
  courses: () => call("list_courses", {}),
  enrollments: (contactId: number) => call("contact_enrollments", { contactId }),
  setCourseAccess: (contactId: number, course: string, enrolled: boolean) =>
    call("set_course_access", { contactId, course, enrolled }),
  events: (contactId: number) => call("contact_events", { contactId }),
  runs: (contactId: number) => call("contact_runs", { contactId }),
  steps: (runId: number) => call("run_steps", { runId }),
  /** When this email was erased, if it was (it would come back unsubscribed). */
  erasedAt: (email: string) => call("contact_erased_at", { email }),
  /** How the contact's subscription began and changed, oldest first. */
  consent: (contactId: number) => call("contact_consent", { contactId }),
  /** What erasing the contact would remove (for the confirmation). */
  erasurePreview: (contactId: number) => call("erasure_preview", { contactId }),
  /** Erases the contact and everything held about them. */
  erase: (contactId: number) => call("erase_contact", { contactId }),
  /** Writes everything held about the contact as JSON to `path`. */
  exportTo: (contactId: number, path: string) => call("export_contact", { contactId, path }),
  /** Applies an action to every contact the query selects (paging ignored). */
  bulk: (query: ContactQuery, action: BulkAction) => call("bulk_contacts", { query, action }),
  /** Writes every contact the query selects as CSV to `path`; returns how many. */
  exportCsv: (query: ContactQuery, path: string) => call("export_contacts_csv", { query, path }),
};
