// Commands of the Email templates screen (src-tauri/commands/email_templates.rs).

import type { EmailTemplate, RenderedEmail, SaveOutcome } from "@/bindings";
import type { TemplateEntry } from "@/bindings/app";

import { commandCaller } from "./invoke";

type TemplateCommands = {
  list_email_templates: { args: Record<string, never>; result: TemplateEntry[] };
  save_email_template: { args: { workflowId: number; template: EmailTemplate }; result: SaveOutcome };
  preview_email: {
    args: { workflow: string; template: EmailTemplate; contactId: number | null; account: string | null };
    result: RenderedEmail;
  };
};

const call = commandCaller<TemplateCommands>();

export const emailTemplatesApi = {
  list: () => call("list_email_templates", {}),
  /** Saves the template into its workflow (a new version when that one has runs). */
  save: (workflowId: number, template: EmailTemplate) => call("save_email_template", { workflowId, template }),
  /** Renders as the engine would; merge-field errors reject with code "template". */
  preview: (workflow: string, template: EmailTemplate, contactId: number | null, account: string | null) =>
    call("preview_email", { workflow, template, contactId, account }),
};
