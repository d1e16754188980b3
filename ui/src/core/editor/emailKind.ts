// Marketing or transactional: what an email template is for decides who
// gets it (see docs/workflow-format.md, "Email templates").

import type { EmailKind, EmailTemplate } from "@/bindings";

import { withOptional } from "./objects";

/** What each kind means for who gets it, said under the choice. */
export const KIND_HINTS: Record<EmailKind, string> = {
  marketing: "Only subscribed contacts get it, always with an unsubscribe link and header.",
  transactional: "A receipt, access details or an order update: unsubscribed contacts get it too, with no unsubscribe link.",
};

/** The template with `kind` set; marketing is the default and is left out, as in the file. */
export function withKind(t: EmailTemplate, kind: EmailKind): EmailTemplate {
  return withOptional(t, "kind", kind === "marketing" ? undefined : kind);
}
