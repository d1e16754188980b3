// Native file dialogs (tauri-plugin-dialog): the OS picks the file, the
// path goes to a command that reads or writes it.
//
// WebDriver cannot click inside a native dialog. The end-to-end tests
// (tests/e2e) therefore queue the path the user "picks" on the page, in
// `window.__cairnPickedPaths`, before clicking the button that opens a
// dialog; when the queue holds a path the picker returns it instead of
// opening the dialog. Nothing else sets it; only the app's own scripts run
// in the page (see the CSP in tauri.conf.json), and a path chosen this way
// reaches the same command a path from the dialog reaches.

import { open, save } from "@tauri-apps/plugin-dialog";

declare global {
  interface Window {
    __cairnPickedPaths?: (string | null)[];
  }
}

type Filter = { name: string; extensions: string[] };

function queuedPick(): { path: string | null } | null {
  const queue = window.__cairnPickedPaths;
  if (!queue || queue.length === 0) return null;
  return { path: queue.shift() ?? null };
}

/** Asks for one existing file; null when the user cancelled. */
async function pickOpen(title: string, filters: Filter[]): Promise<string | null> {
  const queued = queuedPick();
  if (queued) return queued.path;
  const picked = await open({ title, multiple: false, directory: false, filters });
  return typeof picked === "string" ? picked : null;
}

/** Asks where to write a file; null when the user cancelled. */
async function pickSave(title: string, defaultPath: string, filters: Filter[]): Promise<string | null> {
  const queued = queuedPick();
  if (queued) return queued.path;
  return (await save({ title, defaultPath, filters })) ?? null;
}

const csvFiles = [{ name: "CSV", extensions: ["csv", "CSV", "txt"] }];
const workflowFiles = [{ name: "Cairn workflow", extensions: ["json"] }];
const backupFiles = [{ name: "Cairn backup", extensions: ["cairn", "db", "sqlite"] }];

/** Asks for a CSV file; null when the user cancelled. */
export const pickCsvFile = (title: string) => pickOpen(title, csvFiles);

/** Asks for a workflow file to import; null when the user cancelled. */
export const pickWorkflowFile = () => pickOpen("Import a workflow", workflowFiles);

/** Asks where to export a workflow; null when the user cancelled. */
export function pickExportPath(suggestedName: string): Promise<string | null> {
  const safe = suggestedName.replace(/[\\/:*?"<>|]+/g, "-").trim() || "workflow";
  return pickSave("Export the workflow", `${safe}.json`, workflowFiles);
}

/** Asks where to write a contact's data export; null when the user cancelled. */
export function pickContactExportPath(suggestedName: string): Promise<string | null> {
  const safe = suggestedName.replace(/[\\/:*?"<>|@]+/g, "-").trim() || "contact";
  return pickSave("Export everything held about this contact", `${safe}.json`, workflowFiles);
}

/** Asks where to write a CSV export of contacts; null when the user cancelled. */
export const pickContactsCsvPath = () => pickSave("Export contacts as CSV", "contacts.csv", csvFiles);

/** Asks where to write a backup; null when the user cancelled. */
export const pickBackupDestination = (suggestedName: string) =>
  pickSave("Back up the database", suggestedName, backupFiles);

/** Asks for a backup to restore; null when the user cancelled. */
export const pickBackupFile = () => pickOpen("Restore from a backup", backupFiles);
