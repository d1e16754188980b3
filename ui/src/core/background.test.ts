import { describe, expect, it } from "vitest";

import { humanSpan, parsePercent, parseRetention, percentOf, retentionText, wakeNotice } from "./background";

describe("background words", () => {
  it("writes spans as the engine does", () => {
    expect(humanSpan(3 * 3600)).toBe("3 h");
    expect(humanSpan(90 * 60)).toBe("1 h 30 min");
    expect(humanSpan(2 * 86_400 + 4 * 3600)).toBe("2 d 4 h");
    expect(humanSpan(45 * 60)).toBe("45 min");
    expect(humanSpan(3 * 86_400)).toBe("3 d");
  });

  it("says how long Cairn slept and how many waits fired late", () => {
    expect(wakeNotice(8 * 3600, 3)).toBe("Cairn was asleep for 8 h; 3 waits fired late. Each late step says by how much.");
    expect(wakeNotice(8 * 3600 + 120, 1)).toContain("8 h 2 min; 1 wait fired late");
    expect(wakeNotice(40 * 60, 0)).toBe("Cairn was asleep for 40 min; no wait fell due meanwhile.");
  });

  it("parses retention and thresholds as typed", () => {
    expect(parseRetention(" 90 ")).toBe(90);
    expect(parseRetention("0")).toBe(0);
    expect(parseRetention("-3")).toBeNull();
    expect(parseRetention("40000")).toBeNull();
    expect(parseRetention("1.5")).toBeNull();
    expect(retentionText(0)).toBe("forever");
    expect(retentionText(90)).toBe("90 days");
    expect(parsePercent("5")).toBe(0.05);
    expect(parsePercent("2,5")).toBe(0.025);
    expect(parsePercent("0")).toBeNull();
    expect(parsePercent("101")).toBeNull();
    expect(percentOf(0.05)).toBe("5");
    expect(percentOf(0.025)).toBe("2.5");
  });
});
