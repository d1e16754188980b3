// Commands of the Settings screen (src-tauri/commands/settings.rs).

import type { AppSettings, SenderDefaults } from "@/bindings/app";

import { commandCaller } from "./invoke";

type SettingsCommands = {
  get_settings: { args: Record<string, never>; result: AppSettings };
  sender_defaults: { args: Record<string, never>; result: SenderDefaults };
  save_sender_defaults: { args: { defaults: SenderDefaults }; result: SenderDefaults };
};

const call = commandCaller<SettingsCommands>();

export const settingsApi = {
  get: () => call("get_settings", {}),
  /** What new workflows and email nodes start with (the editor reads this). */
  senderDefaults: () => call("sender_defaults", {}),
  saveSenderDefaults: (defaults: SenderDefaults) => call("save_sender_defaults", { defaults }),
};
