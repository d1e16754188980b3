// Commands of the Settings screen (src-tauri/commands/settings.rs).

import type { AppSettings, SenderDefaults } from "@/bindings/app";

import { commandCaller } from "./invoke";

type SettingsCommands = {
  get_settings: { args: Record<string, never>; result: AppSettings };
  save_sender_defaults: { args: { defaults: SenderDefaults }; result: SenderDefaults };
};

const call = commandCaller<SettingsCommands>();

export const settingsApi = {
  get: () => call("get_settings", {}),
  saveSenderDefaults: (defaults: SenderDefaults) => call("save_sender_defaults", { defaults }),
};
