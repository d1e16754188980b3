// Commands of the background and housekeeping (src-tauri/commands/
// housekeeping.rs): start at login, notifications, retention, the
// database's size, backup and restore, pause-all; and the window events the
// shell emits about the background.

import { listen } from "@tauri-apps/api/event";

import type {
  AlertPolicy,
  BackgroundSummary,
  BackupInfo,
  DatabaseStats,
  MaintenanceReport,
  PauseReport,
  RestoreReport,
} from "@/bindings";
import type { BackgroundStatus, Change } from "@/bindings/app";

import { CHANGE_EVENT } from "./activity";
import { commandCaller } from "./invoke";

type None = Record<string, never>;

type HousekeepingCommands = {
  background_status: { args: None; result: BackgroundStatus };
  pause_all_workflows: { args: None; result: PauseReport };
  resume_all_workflows: { args: None; result: PauseReport };
  database_stats: { args: None; result: DatabaseStats };
  set_retention_days: { args: { days: number }; result: number };
  maintain_database: { args: None; result: MaintenanceReport };
  backup_database: { args: { path: string }; result: BackupInfo };
  inspect_backup: { args: { path: string }; result: BackupInfo };
  restore_database: { args: { path: string }; result: RestoreReport };
  alert_policy: { args: None; result: AlertPolicy };
  set_alert_policy: { args: { policy: AlertPolicy }; result: AlertPolicy };
  autostart_enabled: { args: None; result: boolean };
  set_autostart: { args: { enabled: boolean }; result: boolean };
};

const call = commandCaller<HousekeepingCommands>();

/** Emitted by the tray whenever it re-reads its counts. */
export const BACKGROUND_EVENT = "cairn://background";
/** Emitted after a restore: everything on screen is stale. */
export const RESTORED_EVENT = "cairn://restored";

export const housekeepingApi = {
  status: () => call("background_status", {}),
  pauseAll: () => call("pause_all_workflows", {}),
  resumeAll: () => call("resume_all_workflows", {}),
  databaseStats: () => call("database_stats", {}),
  setRetentionDays: (days: number) => call("set_retention_days", { days }),
  maintain: () => call("maintain_database", {}),
  backup: (path: string) => call("backup_database", { path }),
  inspectBackup: (path: string) => call("inspect_backup", { path }),
  restore: (path: string) => call("restore_database", { path }),
  alertPolicy: () => call("alert_policy", {}),
  setAlertPolicy: (policy: AlertPolicy) => call("set_alert_policy", { policy }),
  autostartEnabled: () => call("autostart_enabled", {}),
  setAutostart: (enabled: boolean) => call("set_autostart", { enabled }),
  /** Calls `onWoke` when the laptop woke from sleep; resolves to the function that stops listening. */
  onWoke: (onWoke: (gapSecs: number, lateWaits: number) => void): Promise<() => void> =>
    listen<Change>(CHANGE_EVENT, (e) => {
      if (e.payload.type === "woke") onWoke(e.payload.gap_secs, e.payload.late_waits);
    }),
  onBackground: (f: (s: BackgroundSummary) => void): Promise<() => void> =>
    listen<BackgroundSummary>(BACKGROUND_EVENT, (e) => f(e.payload)),
  onRestored: (f: () => void): Promise<() => void> => listen(RESTORED_EVENT, () => f()),
};
