import { describe, expect, it } from "vitest";

import { describeDuration, formatDuration, parseDuration } from "./duration";

describe("durations", () => {
  it("read what the model reads", () => {
    expect(parseDuration("2d")).toBe(172_800);
    expect(parseDuration("3h")).toBe(10_800);
    expect(parseDuration("1d12h")).toBe(129_600);
    expect(parseDuration(" 1D 30m ")).toBe(88_200);
    expect(parseDuration("0")).toBe(0);
    for (const bad of ["", "soon", "2", "d", "2x", "-1d", "1.5h"]) expect(parseDuration(bad)).toBeNull();
  });

  it("write the canonical spelling, largest units first", () => {
    expect(formatDuration(129_600)).toBe("1d12h");
    expect(formatDuration(90)).toBe("1m30s");
    expect(formatDuration(0)).toBe("0s");
    expect(formatDuration(parseDuration("36h")!)).toBe("1d12h");
  });

  it("read out for people", () => {
    expect(describeDuration("1d12h")).toBe("1 day 12 hours");
    expect(describeDuration("2w")).toBe("2 weeks");
    expect(describeDuration("nonsense")).toBe("nonsense");
  });
});
