// Commands of the background and housekeeping (src-tauri/commands/
// housekeeping.rs): start at login, notifications, retention, the
// database's size, backup and restore, pause-all. The window events the
// shell emits about the background are in events.ts.

import type {
  AlertPolicy,
  BackupInfo,
  DatabaseStats,
  MaintenanceReport,
  PauseReport,
  RestoreReport,
} from "@/bindings";
import type { BackgroundStatus } from "@/bindings/app";

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
};
