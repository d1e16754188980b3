// A contact's timeline and the activity log: events and runs merged newest
// first, and the few words that say what each event or step was.

import type { Event, Run } from "@/bindings";

export type TimelineEntry =
  | { kind: "event"; key: string; at: string; event: Event }
  | { kind: "run"; key: string; at: string; run: Run };

function time(iso: string): number {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
}

/**
 * Events and runs in one list, newest first. A run is placed at its start;
 * ties keep runs after the event that started them (the event happened
 * first) and fall back to ids so the order never flickers between reloads.
 */
export function mergeTimeline(events: readonly Event[], runs: readonly Run[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [
    ...events.map((event): TimelineEntry => ({ kind: "event", key: `e${event.id}`, at: event.occurred_at, event })),
    ...runs.map((run): TimelineEntry => ({ kind: "run", key: `r${run.id}`, at: run.started_at, run })),
  ];
  const id = (e: TimelineEntry) => (e.kind === "event" ? e.event.id : e.run.id);
  return entries.sort((a, b) => {
    const dt = time(b.at) - time(a.at);
    if (dt !== 0) return dt;
    if (a.kind !== b.kind) return a.kind === "run" ? -1 : 1;
    return id(b) - id(a);
  });
}

/** The entry types a filter can pick: each event type seen, and "run". */
export function entryTypes(entries: readonly TimelineEntry[]): string[] {
  const types = new Set<string>();
  for (const e of entries) types.add(e.kind === "run" ? "run" : e.event.type);
  return [...types].sort((a, b) => (a === "run" ? -1 : b === "run" ? 1 : a.localeCompare(b)));
}

/** Entries of one type ("" for all; "run" for runs; else an event type or a prefix such as "deal."). */
export function filterEntries(entries: readonly TimelineEntry[], type: string): TimelineEntry[] {
  if (type === "") return [...entries];
  if (type === "run") return entries.filter((e) => e.kind === "run");
  return entries.filter(
    (e) => e.kind === "event" && (e.event.type === type || (type.endsWith(".") && e.event.type.startsWith(type))),
  );
}

function str(v: unknown): string | undefined {
  if (typeof v === "string" && v.trim() !== "") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

function obj(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** One line on what an event says, from its payload. */
export function describeEvent(e: Event): string {
  const p = obj(e.payload);
  switch (e.type) {
    case "contact.created": {
      const source = str(p.source);
      if (source === undefined || source === "cairn") return "Added by hand";
      if (source === "csv") return "Imported from a CSV file";
      return `Added from ${source}`;
    }
    case "tag.added":
      return `Tagged ${str(p.tag) ?? ""}`.trim();
    case "tag.removed":
      return `Untagged ${str(p.tag) ?? ""}`.trim();
    case "status.changed":
      return `Status ${str(p.old) ?? "?"} → ${str(p.new) ?? "?"}`;
    case "field.changed":
      return `${str(p.field) ?? "A field"} changed`;
    case "deal.created":
      return `Deal in ${str(p.pipeline) ?? "?"} at ${str(p.stage) ?? "?"}`;
    case "deal.stage_changed":
      return `${str(p.pipeline) ?? "Deal"}: ${str(p.old_stage) ?? "?"} → ${str(p.stage) ?? "?"}`;
    case "course.enrolled":
      return `Access to ${str(p.course) ?? "a course"}`;
    case "course.unenrolled":
      return `Access to ${str(p.course) ?? "a course"} revoked`;
    default: {
      const parts = ["product", "amount", "currency", "form", "url", "subject", "course", "email"]
        .map((k) => (str(p[k]) ? `${k} ${str(p[k])}` : undefined))
        .filter((x): x is string => x !== undefined);
      return parts.slice(0, 3).join(" · ");
    }
  }
}
