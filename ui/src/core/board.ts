// The pipeline board's pure logic: deals grouped into their stage columns
// with each column's count and value total, "days in stage", the filters as
// a query, and a move applied locally (so a dropped card lands at once,
// before the store answers). No React, no Tauri; "now" is an argument.

import type { BoardDeal, BoardQuery } from "@/bindings";

const DAY = 24 * 60 * 60 * 1000;

/** One column of the board. */
export type StageColumn = {
  stage: string;
  deals: BoardDeal[];
  /** The sum of the deals' values (deals without a value count as 0). */
  total: number;
};

/** The board's filters as the user sets them. */
export type BoardFilters = { pipeline: string; tag: string; search: string };

export function boardQuery(f: BoardFilters): BoardQuery {
  return {
    pipeline: f.pipeline,
    stage: null,
    tag: f.tag.trim() || null,
    search: f.search.trim() || null,
  };
}

/** A stable text of a query, for its cache key. */
export function boardKey(f: BoardFilters): string {
  return JSON.stringify(boardQuery(f));
}

/**
 * The deals in one column per stage, in the pipeline's order. A deal whose
 * stage the pipeline no longer lists (renamed by a workflow meanwhile) gets
 * a column of its own at the end rather than vanishing.
 */
export function columns(stages: string[], deals: BoardDeal[]): StageColumn[] {
  const byStage = new Map<string, BoardDeal[]>(stages.map((s) => [s.toLowerCase(), []]));
  const order = [...stages];
  for (const d of deals) {
    const key = d.stage.toLowerCase();
    let list = byStage.get(key);
    if (!list) {
      list = [];
      byStage.set(key, list);
      order.push(d.stage);
    }
    list.push(d);
  }
  return order.map((stage) => {
    const list = byStage.get(stage.toLowerCase()) ?? [];
    return { stage, deals: list, total: list.reduce((sum, d) => sum + (d.value ?? 0), 0) };
  });
}

/** Whole days the deal has stood in its stage (0 on its first day; never negative). */
export function daysInStage(since: string, now: Date): number {
  const t = new Date(since).getTime();
  if (Number.isNaN(t)) return 0;
  return Math.max(0, Math.floor((now.getTime() - t) / DAY));
}

export function formatDays(days: number): string {
  if (days === 0) return "today";
  return days === 1 ? "1 day" : `${days} days`;
}

const money = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 2 });
const count = new Intl.NumberFormat("en-GB");

/** "1 deal", "10,000 deals". */
export function formatDeals(n: number): string {
  return `${count.format(n)} deal${n === 1 ? "" : "s"}`;
}

/** A value as a card and a column total show it ("1,200", "—" for none). */
export function formatValue(v: number | null): string {
  return v === null ? "—" : money.format(v);
}

/**
 * The deals after moving one to `stage` at `now`, as the store will list
 * them: the deal tops its new column (the latest to arrive first) and its
 * days in stage restart. Moving to its own stage changes nothing (the
 * store records nothing either).
 */
export function moveLocally(deals: BoardDeal[], id: number, stage: string, now: Date): BoardDeal[] {
  const moved = deals.find((d) => d.id === id);
  if (!moved || moved.stage.toLowerCase() === stage.toLowerCase()) return deals;
  return [{ ...moved, stage, stage_since: now.toISOString() }, ...deals.filter((d) => d.id !== id)];
}

/** A pipeline's stages as typed in one box, one per line or comma-separated. */
export function parseStages(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const s of text.split(/[\n,]/)) {
    const t = s.trim();
    if (t && !seen.has(t.toLowerCase())) {
      seen.add(t.toLowerCase());
      out.push(t);
    }
  }
  return out;
}
