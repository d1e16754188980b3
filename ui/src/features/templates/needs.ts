// What a template needs before it can run, in words for its card.

import type { AccountKind, ImportOutcome, TemplateInfo } from "@/api";

const KIND_NAMES: Record<AccountKind, string> = {
  smtp: "SMTP",
  webhook: "webhook",
  slack: "Slack",
  stripe: "Stripe",
  shopify: "Shopify",
  typeform: "Typeform",
  tally: "Tally",
  mailgun: "Mailgun",
  postmark: "Postmark",
  json_feed: "JSON feed",
  thinkific: "Thinkific",
  teachable: "Teachable",
};

/** What an engagement template needs besides the accounts it names. */
export const ENGAGEMENT_SOURCE = "an account that reports opens and clicks (Mailgun or Postmark)";

/**
 * The accounts it sends through ("Email (SMTP)"), and for a template that
 * reads opens or clicks, an account that reports them: activation refuses
 * it without one. Add them before activating.
 */
export function accountsNeeded(t: TemplateInfo): string[] {
  const named = t.accounts.map((a) => `${a.name} (${KIND_NAMES[a.kind]})`);
  return t.engagement ? [...named, ENGAGEMENT_SOURCE] : named;
}

/** What the import creates for it: pipelines, courses and custom fields. */
export function createdOnImport(t: TemplateInfo): string[] {
  const r = t.requires;
  return [
    ...(r.pipelines ?? []).map((p) => `${p.name} pipeline`),
    ...(r.courses ?? []).map((c) => `${c} course`),
    ...(r.fields ?? []).map((f) => `${f.name} field`),
  ];
}

/** The description's first sentence, for a card's one line. */
export function firstSentence(text: string): string {
  const m = /^(.+?[.!?])(\s|$)/s.exec(text.trim());
  return (m?.[1] ?? text).trim();
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What the editor says on arrival from the gallery. */
export function describeUse(o: ImportOutcome): string {
  const as = o.renamed_from ? `as “${o.name}” (“${o.renamed_from}” exists already)` : `as “${o.name}”`;
  return `Added from the gallery ${as}, paused: nothing runs until you activate it.`;
}
