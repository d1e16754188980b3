// Native file dialogs (tauri-plugin-dialog): the OS picks the file, the
// path goes to a command that reads it.

import { open } from "@tauri-apps/plugin-dialog";

/** Asks for a CSV file; null when the user cancelled. */
export async function pickCsvFile(title: string): Promise<string | null> {
  const picked = await open({
    title,
    multiple: false,
    directory: false,
    filters: [{ name: "CSV", extensions: ["csv", "CSV", "txt"] }],
  });
  return typeof picked === "string" ? picked : null;
}
