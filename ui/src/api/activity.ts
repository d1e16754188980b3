// Commands of the Activity screen (src-tauri/commands/activity.rs); the
// screen follows the shell's `cairn://change` event (events.ts).

import type { Run } from "@/bindings";
import type { ActivityEvent } from "@/bindings/app";

import { commandCaller } from "./invoke";

type ActivityCommands = {
  recent_events: { args: { limit: number }; result: ActivityEvent[] };
  recent_runs: { args: { limit: number }; result: Run[] };
};

const call = commandCaller<ActivityCommands>();

export const activityApi = {
  events: (limit: number) => call("recent_events", { limit }),
  runs: (limit: number) => call("recent_runs", { limit }),
};
