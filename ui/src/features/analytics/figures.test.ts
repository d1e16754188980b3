import { describe, expect, it } from "vitest";

import { duration, percent, rangeFromParam, rangeParam, shortDate } from "./figures";

describe("figures", () => {
  it("words rates with one decimal and a dash for none", () => {
    expect(percent(2 / 3)).toBe("66.7 %");
    expect(percent(0)).toBe("0.0 %");
    expect(percent(null)).toBe("–");
  });

  it("words durations in their two largest units", () => {
    expect(duration(3 * 86400 + 3600 + 59)).toBe("3d 1h");
    expect(duration(86400 + 30)).toBe("1d");
    expect(duration(7500)).toBe("2h 5m");
    expect(duration(45)).toBe("45s");
    expect(duration(0)).toBe("0s");
  });

  it("reads the range from the address, 30 days by default", () => {
    expect(rangeFromParam("7")).toBe(7);
    expect(rangeFromParam("all")).toBeNull();
    expect(rangeFromParam(null)).toBe(30);
    expect(rangeFromParam("12")).toBe(30);
    expect(rangeParam(null)).toBe("all");
    expect(rangeParam(90)).toBe("90");
  });

  it("labels a day of the series", () => {
    expect(shortDate("2026-01-05")).toBe("5 Jan");
  });
});
