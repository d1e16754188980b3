// Words of the contacts screens' privacy and bulk pieces (erasure, consent,
// bulk actions): plain
// functions, tested without rendering.

import type { ColumnMapping, ConsentEntry, ConsentVia, CsvPreview, ErasureReport } from "@/api";

const via: Record<ConsentVia, string> = {
  import: "CSV import",
  form: "form",
  purchase: "purchase",
  manual: "by hand",
  sync: "connected account",
  unsubscribe_link: "unsubscribe link",
  complaint: "spam complaint",
  bounce: "bounce",
  workflow: "workflow",
  unknown: "before Cairn kept consent",
};

/** One line of the consent log: "subscribed · CSV import (list.csv)". */
export function consentLine(e: ConsentEntry): string {
  return `${e.status} · ${via[e.via]}${e.detail ? ` (${e.detail})` : ""}`;
}

const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;

/** The lines of the confirmation: what goes, what ends, what stays. */
export function erasureLines(r: ErasureReport): { goes: string[]; ends: string[] } {
  const goes = [
    "the contact: email, name, time zone and consent log",
    n(r.fields, "field value", "field values"),
    n(r.tags, "tag", "tags"),
    n(r.deals, "deal", "deals"),
    n(r.courses, "course enrolment", "course enrolments"),
    `what ${n(r.events, "event", "events")} recorded about them`,
    `the details of ${n(r.runs, "run", "runs")} and the content of ${n(r.messages, "message", "messages")} sent or queued`,
  ];
  const ends: string[] = [];
  if (r.runs_ended > 0) ends.push(`${n(r.runs_ended, "open run ends", "open runs end")} as exited ("contact erased")`);
  if (r.sends_cancelled > 0) ends.push(`${n(r.sends_cancelled, "pending send is", "pending sends are")} cancelled`);
  return { goes, ends };
}

export type BulkChoice = "tag" | "untag" | "unsubscribe" | "erase" | "export";

export const numberFormat = new Intl.NumberFormat("en-GB");

/** What the confirm button says: the action and how many it touches. */
export function bulkButtonText(choice: BulkChoice, count: number, tag: string): string {
  const n = `${numberFormat.format(count)} contact${count === 1 ? "" : "s"}`;
  switch (choice) {
    case "tag":
      return `Tag ${n} "${tag.trim()}"`;
    case "untag":
      return `Remove "${tag.trim()}" from ${n}`;
    case "unsubscribe":
      return `Unsubscribe ${n}`;
    case "erase":
      return `Erase ${n} for good`;
    case "export":
      return `Export ${n} as CSV`;
  }
}

/** Whether every column Cairn does not know has been given a meaning. */
export function mappingComplete(preview: CsvPreview, choices: Record<string, string>): boolean {
  return preview.columns.every((c) => c.known !== "unknown" || (choices[c.header] ?? "") !== "");
}

/**
 * The import's mapping from the step's choices: `skip`, `new:TYPE` (a new
 * field named as the column), or `to:NAME` (a built-in column or field).
 */
export function mappingOf(preview: CsvPreview, choices: Record<string, string>): ColumnMapping {
  const out: ColumnMapping = { map: {}, skip_columns: [] };
  for (const c of preview.columns) {
    const choice = choices[c.header] ?? "";
    if (choice === "skip") out.skip_columns.push(c.header);
    else if (choice.startsWith("new:")) out.map[c.header] = `${c.header.replace(/[:;,]/g, " ").trim()}:${choice.slice(4)}`;
    else if (choice.startsWith("to:")) out.map[c.header] = choice.slice(3);
  }
  return out;
}
