// A typed caller over a map of commands (name → args and result), so each
// screen's module of the api lists its own commands and still gets type
// errors for a misspelt name or a wrong argument. Failures become ApiError.
//
// Tauri passes arguments by their Rust parameter names in camelCase
// (`contact_id` is `contactId`); fields inside a struct argument keep their
// serde names (snake_case).

import { invoke } from "@tauri-apps/api/core";

import { toApiError } from "./errors";

export type CommandMap = Record<string, { args: Record<string, unknown>; result: unknown }>;

export function commandCaller<M extends CommandMap>() {
  return async function call<K extends keyof M & string>(command: K, args: M[K]["args"]): Promise<M[K]["result"]> {
    try {
      return await invoke<M[K]["result"]>(command, args);
    } catch (reason) {
      throw toApiError(reason);
    }
  };
}
