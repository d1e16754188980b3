// Commands of the Activity screen (src-tauri/commands/activity.rs), and the
// shell's live `cairn://change` window event.

import { listen } from "@tauri-apps/api/event";

import type { Run } from "@/bindings";
import type { ActivityEvent, Change } from "@/bindings/app";

import { commandCaller } from "./invoke";

type ActivityCommands = {
  recent_events: { args: { limit: number }; result: ActivityEvent[] };
  recent_runs: { args: { limit: number }; result: Run[] };
};

const call = commandCaller<ActivityCommands>();

/** The window event the shell emits after each committed run or step change. */
export const CHANGE_EVENT = "cairn://change";

export const activityApi = {
  events: (limit: number) => call("recent_events", { limit }),
  runs: (limit: number) => call("recent_runs", { limit }),
  /** Calls `onChange` for each engine change; resolves to the function that stops listening. */
  onChange: (onChange: (c: Change) => void): Promise<() => void> =>
    listen<Change>(CHANGE_EVENT, (e) => onChange(e.payload)),
};
