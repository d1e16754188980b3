import { describe, expect, it } from "vitest";

import type { Event, Run } from "@/bindings";

import { describeEvent, entryTypes, filterEntries, mergeTimeline } from "./timeline";

const ev = (id: number, type: string, at: string, payload: unknown = {}): Event => ({
  id,
  type,
  contact_id: 1,
  payload,
  occurred_at: at,
  recorded_at: at,
  source: "cairn",
  external_id: null,
});

const run = (id: number, at: string): Run => ({
  id,
  workflow_id: 1,
  workflow: "Welcome",
  version: 1,
  contact_id: 1,
  contact_email: "ada@example.com",
  trigger_node: "t",
  trigger_event_id: null,
  trigger_payload: {},
  status: "completed",
  current_node: null,
  exit_reason: null,
  goal: null,
  converted: false,
  mode: "live",
  started_at: at,
  ended_at: at,
  retries: 0,
  restarted_from: null,
});

describe("timeline", () => {
  it("merges events and runs newest first, a run after the event that started it", () => {
    const entries = mergeTimeline(
      [ev(1, "contact.created", "2025-03-01T09:00:00Z"), ev(2, "tag.added", "2025-03-02T09:00:00Z")],
      [run(7, "2025-03-02T09:00:00Z"), run(3, "2025-03-01T10:00:00Z")],
    );
    expect(entries.map((e) => e.key)).toEqual(["r7", "e2", "r3", "e1"]);
  });

  it("breaks ties between events by id, newest id first", () => {
    const same = "2025-03-01T09:00:00Z";
    expect(mergeTimeline([ev(1, "a", same), ev(5, "b", same)], []).map((e) => e.key)).toEqual(["e5", "e1"]);
  });

  it("lists the types to filter by and filters by type or prefix", () => {
    const entries = mergeTimeline(
      [ev(1, "deal.created", "2025-03-01T09:00:00Z"), ev(2, "deal.stage_changed", "2025-03-02T09:00:00Z"), ev(3, "tag.added", "2025-03-03T09:00:00Z")],
      [run(4, "2025-03-04T09:00:00Z")],
    );
    expect(entryTypes(entries)).toEqual(["run", "deal.created", "deal.stage_changed", "tag.added"]);
    expect(filterEntries(entries, "run").map((e) => e.key)).toEqual(["r4"]);
    expect(filterEntries(entries, "deal.").map((e) => e.key)).toEqual(["e2", "e1"]);
    expect(filterEntries(entries, "tag.added").map((e) => e.key)).toEqual(["e3"]);
    expect(filterEntries(entries, "")).toHaveLength(4);
  });

  it("describes events from their payload", () => {
    expect(describeEvent(ev(1, "deal.stage_changed", "", { pipeline: "Sales", old_stage: "Lead", stage: "Won" }))).toBe(
      "Sales: Lead → Won",
    );
    expect(describeEvent(ev(1, "tag.added", "", { tag: "vip" }))).toBe("Tagged vip");
    expect(describeEvent(ev(1, "purchase.completed", "", { product: "Program A", amount: 99 }))).toBe(
      "product Program A · amount 99",
    );
    expect(describeEvent(ev(1, "odd", "", null))).toBe("");
    expect(describeEvent(ev(1, "contact.created", "", { source: "csv" }))).toBe("Imported from a CSV file");
    expect(describeEvent(ev(1, "contact.created", "", { source: "cairn" }))).toBe("Added by hand");
    expect(describeEvent(ev(1, "contact.created", "", { source: "stripe:shop" }))).toBe("Added from stripe:shop");
  });
});
