// What a step recorded, read for people: the rendered effect it holds, the
// engine's own sentence (error, reason, note) or what an internal action
// did, the moment it waits until, and how late a wait fired. One reader for
// the contact's timeline, the editor's test run panel and the late note.
//
// A step's detail is `StepDetail` (generated from Rust): the union of the
// outcomes the engine writes. Details merge across writes (a queued send
// later gains its answer), so readers narrow by key, never by variant.

import type { Effect, Step, StepDetail } from "@/bindings";

import { humanSpan } from "./background";

/** A non-empty text the detail holds under `key`. */
function textIn(d: StepDetail, key: "error" | "reason" | "note" | "until"): string | null {
  const v = key in d ? (d as Partial<Record<typeof key, unknown>>)[key] : undefined;
  return typeof v === "string" && v.trim() ? v : null;
}

/**
 * The rendered email, webhook, Slack message or notice a step recorded, if
 * any: in full for dry and test runs; a live step keeps a summary (the
 * outbox holds the rest), returned with what it has.
 */
export function effectOf(step: Step): Effect | null {
  const d = step.detail;
  if (!d || typeof d !== "object" || !("effect" in d)) return null;
  const e: unknown = d.effect;
  if (!e || typeof e !== "object" || !("kind" in e)) return null;
  return e as Effect;
}

/**
 * The step's own sentence: the engine's error, reason or note if it wrote
 * one, else what an internal action did (a tag, a field, a course, a deal,
 * a condition, a branch or an A/B split's variant taken).
 */
export function noteOf(step: Step): string | null {
  const d = step.detail;
  if (!d || typeof d !== "object") return null;
  const said = textIn(d, "error") ?? textIn(d, "reason") ?? textIn(d, "note");
  if (said) return said;
  const unchanged = "changed" in d && d.changed === false ? " (no change: it already was)" : "";
  if ("tag" in d) return `Tag “${d.tag}”${unchanged}`;
  if ("field" in d) return `${d.field} = ${JSON.stringify(d.value)}${unchanged}`;
  if ("course" in d) return `Course “${d.course}”${unchanged}`;
  if ("pipeline" in d && "stage" in d) return `Deal in ${d.pipeline}: ${d.stage}`;
  if ("result" in d) return d.result ? "Yes" : "No";
  if ("path" in d) return `Path: ${d.path}`;
  if ("variant" in d) return `Variant: ${d.variant}${"winner" in d && d.winner ? " (the declared winner)" : ""}`;
  return null;
}

/** When a waiting step falls due (a wait, a held send), as the engine wrote it. */
export function untilOf(step: Step): string | null {
  const d = step.detail;
  return d && typeof d === "object" ? textIn(d, "until") : null;
}

/**
 * One line for a step in a list: its sentence first (an error before what
 * it did), else what it sent: an email's subject, a webhook's address, a
 * Slack message or a notice.
 */
export function describeStep(step: Step): string {
  const note = noteOf(step);
  if (note) return note;
  const e = effectOf(step);
  switch (e?.kind) {
    case "email":
      return `Subject: ${e.subject}`;
    case "webhook":
      return `${e.method} ${e.url}`;
    case "slack":
      return `Slack: ${e.text}`;
    case "desktop":
      return `Notice: ${e.title}`;
    default:
      return "";
  }
}

/**
 * The late note of a step: "fired 3 h late", or "skipped: 2 d late" for a
 * wait whose late policy skipped it. Null for a step that was on time (or
 * has no detail left).
 */
export function lateNoteOf(step: Pick<Step, "detail" | "status">): string | null {
  const d = step.detail;
  if (!d || typeof d !== "object") return null;
  const by = "late_by_secs" in d && typeof d.late_by_secs === "number" ? d.late_by_secs : null;
  if (step.status === "skipped" && by !== null) return `skipped: ${humanSpan(by)} late`;
  const late = "late" in d && typeof d.late === "string" ? d.late : null;
  if (late) return late;
  if (by !== null && by >= 60) return `fired ${humanSpan(by)} late`;
  return null;
}
