import { describe, expect, it } from "vitest";

import type { BoardDeal } from "@/bindings";

import {
  boardKey,
  boardQuery,
  columns,
  daysInStage,
  formatDays,
  formatDeals,
  formatValue,
  moveLocally,
  parseStages,
} from "./board";

function deal(id: number, stage: string, value: number | null, since = "2026-01-01T09:00:00Z"): BoardDeal {
  return {
    id,
    contact_id: id,
    contact_email: `c${id}@x.test`,
    contact_name: null,
    pipeline: "Sales",
    stage,
    title: `Deal ${id}`,
    value,
    stage_since: since,
  };
}

describe("columns", () => {
  it("groups deals by stage in the pipeline's order with totals", () => {
    const cols = columns(["Lead", "Call", "Won"], [deal(1, "Won", 100), deal(2, "Lead", 50.5), deal(3, "won", null)]);
    expect(cols.map((c) => c.stage)).toEqual(["Lead", "Call", "Won"]);
    expect(cols.map((c) => c.deals.map((d) => d.id))).toEqual([[2], [], [1, 3]]);
    expect(cols.map((c) => c.total)).toEqual([50.5, 0, 100]);
  });

  it("keeps a deal of an unlisted stage in a column of its own", () => {
    const cols = columns(["Lead"], [deal(1, "Archived", 10)]);
    expect(cols.map((c) => [c.stage, c.deals.length])).toEqual([
      ["Lead", 0],
      ["Archived", 1],
    ]);
  });

  it("handles 10,000 deals", () => {
    const many = Array.from({ length: 10_000 }, (_, i) => deal(i, ["Lead", "Call", "Won"][i % 3] ?? "Lead", 1));
    const cols = columns(["Lead", "Call", "Won"], many);
    expect(cols.map((c) => c.deals.length)).toEqual([3334, 3333, 3333]);
    expect(cols[0]?.total).toBe(3334);
  });
});

describe("days in stage", () => {
  const now = new Date("2026-01-05T08:00:00Z");
  it("counts whole days, never negative", () => {
    expect(daysInStage("2026-01-01T09:00:00Z", now)).toBe(3);
    expect(daysInStage("2026-01-05T07:00:00Z", now)).toBe(0);
    expect(daysInStage("2026-01-06T00:00:00Z", now)).toBe(0);
    expect(daysInStage("garbage", now)).toBe(0);
  });
  it("reads as people say it", () => {
    expect([0, 1, 12].map(formatDays)).toEqual(["today", "1 day", "12 days"]);
  });
});

describe("moveLocally", () => {
  const now = new Date("2026-01-05T08:00:00Z");
  it("moves the one deal to the top of its new column and restarts its days", () => {
    const moved = moveLocally([deal(1, "Won", 1), deal(2, "Lead", 1)], 2, "Won", now);
    expect(moved.map((d) => [d.id, d.stage, d.stage_since])).toEqual([
      [2, "Won", "2026-01-05T08:00:00.000Z"],
      [1, "Won", "2026-01-01T09:00:00Z"],
    ]);
    expect(columns(["Lead", "Won"], moved)[1]?.deals.map((d) => d.id)).toEqual([2, 1]);
  });
  it("changes nothing when the stage is the same", () => {
    const deals = [deal(1, "Lead", 1)];
    expect(moveLocally(deals, 1, "lead", now)).toEqual(deals);
  });
});

describe("filters and forms", () => {
  it("sends blank filters as none", () => {
    expect(boardQuery({ pipeline: "Sales", tag: " ", search: " ann " })).toEqual({
      pipeline: "Sales",
      stage: null,
      tag: null,
      search: "ann",
    });
    expect(boardKey({ pipeline: "Sales", tag: "", search: "" })).toBe(boardKey({ pipeline: "Sales", tag: " ", search: "" }));
  });
  it("reads stages from lines or commas, once each", () => {
    expect(parseStages("Lead, Call\n\nWon,lead ")).toEqual(["Lead", "Call", "Won"]);
  });
  it("formats values", () => {
    expect([formatValue(null), formatValue(1200), formatValue(9.5)]).toEqual(["—", "1,200", "9.5"]);
    expect([formatDeals(1), formatDeals(10_000)]).toEqual(["1 deal", "10,000 deals"]);
  });
});
