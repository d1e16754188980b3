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
