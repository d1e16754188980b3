import { describe, expect, it } from "vitest";

import type { WatchState } from "@/bindings";

import { watchPositions, watchSummary, watchTimeLeft } from "./watch";

const watch = (over: Partial<WatchState> = {}): WatchState => ({
  workflow_id: 1,
  version: 2,
  since: "2026-03-01T10:00:00Z",
  until: "2026-03-03T10:00:00Z",
  runs_started: 12,
  open: 3,
  completed: 8,
  exited: 0,
  failed: 1,
  at_nodes: [
    { node: "pause", runs: 2 },
    { node: "hook", runs: 1 },
  ],
  failures: [],
  ...over,
});

describe("the watch as it reads", () => {
  it("counts the hours and minutes left", () => {
    const until = "2026-03-03T10:00:00Z";
    expect(watchTimeLeft(until, new Date("2026-03-02T02:30:00Z"))).toBe("31 h left");
    expect(watchTimeLeft(until, new Date("2026-03-03T09:15:00Z"))).toBe("45 min left");
    expect(watchTimeLeft(until, new Date("2026-03-03T10:00:00Z"))).toBe("ending");
    expect(watchTimeLeft("soon", new Date("2026-03-03T10:00:00Z"))).toBe("ending");
  });

  it("sums runs and failures", () => {
    expect(watchSummary(watch())).toBe("12 runs, 1 failed");
    expect(watchSummary(watch({ runs_started: 1, failed: 0 }))).toBe("1 run");
  });

  it("says where the open runs stand", () => {
    expect(watchPositions(watch())).toBe("pause 2 · hook 1");
    expect(watchPositions(watch(), (n) => (n === "pause" ? "Wait a day" : n))).toBe("Wait a day 2 · hook 1");
    expect(watchPositions(watch({ at_nodes: [] }))).toBe("no run waiting");
  });
});
