import { describe, expect, it } from "vitest";

import type { Step, StepDetail } from "@/bindings";

import { describeStep, effectOf, lateNoteOf, noteOf, untilOf } from "./stepDetail";

function step(node: string, status: Step["status"], detail: StepDetail | null = null): Step {
  return { id: 1, run_id: 1, node_id: node, kind: "action.notify", status, exit: null, detail, started_at: "2026-03-02T09:00:00Z", finished_at: null, attempts: 1 };
}

const webhook = { kind: "webhook", method: "POST", url: "https://example.com/hook" } as const;
const email = { kind: "email", to: "ada@example.com", subject: "Welcome, Ada", template: "welcome", message_id: "<m@x>" } as const;

describe("what a step recorded", () => {
  it("reads the rendered effect and the engine's sentence", () => {
    const s = step("ping", "ok", { sent: false, note: "dry run: nothing was sent", effect: { kind: "slack", account: "Team", text: "Hi" } });
    expect(effectOf(s)).toEqual({ kind: "slack", account: "Team", text: "Hi" });
    expect(noteOf(s)).toBe("dry run: nothing was sent");
    expect(effectOf(step("x", "ok", { tag: "vip", changed: true }))).toBeNull();
    expect(noteOf(step("x", "failed", { error: 'no account named "Gmail"' }))).toBe('no account named "Gmail"');
    expect(noteOf(step("x", "ok", { tag: "vip", changed: true }))).toBe("Tag “vip”");
    expect(noteOf(step("x", "ok", { tag: "vip", changed: false }))).toBe("Tag “vip” (no change: it already was)");
    expect(noteOf(step("x", "ok", { result: false }))).toBe("No");
    expect(noteOf(step("x", "ok"))).toBeNull();
  });

  it("reads details merged across writes", () => {
    const queued: StepDetail = { outbox_id: 5, effect: webhook };
    expect(effectOf(step("hook", "pending", queued))).toEqual(webhook);
    // A queued send that went out: the detail holds both writes.
    const sent = { ...queued, sent: true, attempts: 1, effect: webhook, response: "HTTP 200" } satisfies StepDetail;
    expect(effectOf(step("hook", "ok", sent))).toEqual(webhook);
    expect(noteOf(step("hook", "ok", sent))).toBeNull();
    const refused: StepDetail = { reason: "not sent: the contact unsubscribed", code: "contact_unsubscribed" };
    expect(noteOf(step("mail", "skipped", refused))).toBe("not sent: the contact unsubscribed");
    expect(noteOf(step("set", "ok", { field: "plan", value: "pro", changed: false }))).toBe('plan = "pro" (no change: it already was)');
    expect(noteOf(step("deal", "ok", { deal_id: 3, pipeline: "Sales", stage: "Won" }))).toBe("Deal in Sales: Won");
    expect(noteOf(step("split", "ok", { path: "VIP" }))).toBe("Path: VIP");
    expect(noteOf(step("split", "ok", { variant: "B" }))).toBe("Variant: B");
    expect(noteOf(step("split", "ok", { variant: "B", winner: true }))).toBe("Variant: B (the declared winner)");
    expect(effectOf(step("wait", "ok", { late_by_secs: 7200, late: "fired 2 h late" }))).toBeNull();
  });

  it("describes a step in a list by its error first, else what it did or sent", () => {
    // A live email keeps a summary: its subject is what the line shows.
    expect(describeStep(step("mail", "ok", { outbox_id: 2, effect: email }))).toBe("Subject: Welcome, Ada");
    const failed = { error: "550 no such user", attempts: 3, effect: email } satisfies StepDetail;
    expect(describeStep(step("mail", "failed", failed))).toBe("550 no such user");
    expect(describeStep(step("hook", "ok", { outbox_id: 2, effect: webhook }))).toBe("POST https://example.com/hook");
    expect(describeStep(step("tag", "ok", { tag: "vip", changed: true }))).toBe("Tag “vip”");
    expect(describeStep(step("x", "ok"))).toBe("");
  });

  it("says when a waiting step falls due", () => {
    expect(untilOf(step("wait", "waiting", { until: "2026-03-03T09:00:00Z" }))).toBe("2026-03-03T09:00:00Z");
    expect(untilOf(step("wait", "waiting", { event_type: "form.submitted", correlation: {}, until: "2026-03-04T09:00:00Z" }))).toBe(
      "2026-03-04T09:00:00Z",
    );
    expect(untilOf(step("x", "ok", { tag: "vip", changed: true }))).toBeNull();
  });

  it("reads the late note of a wait", () => {
    expect(lateNoteOf(step("w", "ok", { late_by_secs: 21_600, late: "fired 6 h late" }))).toBe("fired 6 h late");
    expect(lateNoteOf(step("w", "skipped", { late_by_secs: 2 * 86_400 }))).toBe("skipped: 2 d late");
    expect(lateNoteOf(step("w", "ok", { late_by_secs: 7200 }))).toBe("fired 2 h late");
    expect(lateNoteOf(step("w", "ok", { late_by_secs: 5 }))).toBeNull();
    expect(lateNoteOf(step("w", "ok", { tag: "x", changed: true }))).toBeNull();
    expect(lateNoteOf(step("w", "ok"))).toBeNull();
  });
});
