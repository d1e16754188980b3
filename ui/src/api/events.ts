// The window events the shell emits, each with its payload type, and the
// one way to listen to them. Components listen through `useTauriEvent`
// (src/hooks), which stops listening when they unmount.

import { listen } from "@tauri-apps/api/event";

import type { BackgroundSummary } from "@/bindings";
import type { Change } from "@/bindings/app";

/** After each committed run or step change (src-tauri/background.rs), and when the laptop woke. */
export const CHANGE_EVENT = "cairn://change";
/** Whenever the tray re-reads its counts. */
export const BACKGROUND_EVENT = "cairn://background";
/** After a restore: everything on screen is stale. */
export const RESTORED_EVENT = "cairn://restored";

/** Event name → its payload. */
export type AppEvents = {
  [CHANGE_EVENT]: Change;
  [BACKGROUND_EVENT]: BackgroundSummary;
  [RESTORED_EVENT]: null;
};

export type AppEvent = keyof AppEvents;

/** Calls `handler` with each `event`'s payload; resolves to the function that stops listening. */
export function subscribe<E extends AppEvent>(event: E, handler: (payload: AppEvents[E]) => void): Promise<() => void> {
  return listen<AppEvents[E]>(event, (e) => handler(e.payload));
}
