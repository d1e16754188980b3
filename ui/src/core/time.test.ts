import { describe, expect, it } from "vitest";

import { formatRelative } from "./time";

const now = new Date("2025-03-20T12:00:00Z");

describe("formatRelative", () => {
  it.each([
    ["2025-03-20T11:59:30Z", "just now"],
    ["2025-03-20T11:55:00Z", "5 min ago"],
    ["2025-03-20T09:00:00Z", "3 h ago"],
    ["2025-03-19T10:00:00Z", "yesterday"],
    ["2025-03-16T12:00:00Z", "4 days ago"],
    ["2025-03-12T08:00:00Z", "12 Mar 2025"],
  ])("reads %s as %s", (then, expected) => {
    expect(formatRelative(then, now)).toBe(expected);
  });

  it("never shows a negative age for an instant in the future", () => {
    expect(formatRelative("2025-03-21T12:00:00Z", now)).toBe("just now");
  });

  it("says unknown for an unreadable instant", () => {
    expect(formatRelative("not a date", now)).toBe("unknown");
  });
});
