// Commands for what happens after activation (src-tauri/commands/watch.rs):
// the 48-hour watch on the Workflows screen and in the editor, drift and
// the customer-experience number on the analytics screen.

import type { DriftReport, ExperienceNumber, WatchState } from "@/bindings";

import { commandCaller } from "./invoke";

type None = Record<string, never>;

type WatchCommands = {
  workflow_watches: { args: None; result: WatchState[] };
  workflow_watch: { args: { id: number }; result: WatchState | null };
  workflow_drift: { args: { id: number }; result: DriftReport };
  workflow_experience: { args: { id: number; since: string; until: string }; result: ExperienceNumber | null };
};

const call = commandCaller<WatchCommands>();

export const watchApi = {
  /** Every watched workflow's watch. */
  all: () => call("workflow_watches", {}),
  /** One workflow's watch, or null when it is not watched. */
  one: (id: number) => call("workflow_watch", { id }),
  /** The last 7 days against the 28 before, with the open drift incidents. */
  drift: (id: number) => call("workflow_drift", { id }),
  /** The customer-experience number over [since, until), or null when no event is named. */
  experience: (id: number, since: string, until: string) => call("workflow_experience", { id, since, until }),
};
