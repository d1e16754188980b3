import { describe, expect, it } from "vitest";

import { pageBounds, pageCount, pageOf, pagesToEvict, pagesToLoad, rowAt } from "./paging";

describe("paging", () => {
  it("maps rows to pages and pages to offsets", () => {
    expect(pageOf(0)).toBe(0);
    expect(pageOf(99)).toBe(0);
    expect(pageOf(100)).toBe(1);
    expect(pageOf(-5)).toBe(0);
    expect(pageBounds(3)).toEqual({ offset: 300, limit: 100 });
    expect(pageCount(0)).toBe(0);
    expect(pageCount(100)).toBe(1);
    expect(pageCount(100_001)).toBe(1001);
  });

  it("loads the pages on screen and a margin, never past the end", () => {
    expect(pagesToLoad(0, 20, 100_000)).toEqual([0, 1]);
    expect(pagesToLoad(250, 270, 100_000)).toEqual([1, 2, 3]);
    expect(pagesToLoad(99_980, 99_999, 100_000)).toEqual([998, 999]);
    expect(pagesToLoad(0, 20, 0)).toEqual([]);
    expect(pagesToLoad(0, 40, 7)).toEqual([0]);
    // A range reported past the end (the count shrank) is clipped.
    expect(pagesToLoad(500, 520, 150, 0)).toEqual([1]);
  });

  it("finds a row in its page, or nothing while the page loads", () => {
    const pages = new Map([[2, Array.from({ length: 100 }, (_, i) => 200 + i)]]);
    expect(rowAt(pages, 250)).toBe(250);
    expect(rowAt(pages, 50)).toBeUndefined();
  });

  it("forgets the pages farthest from the ones in view", () => {
    expect(pagesToEvict([0, 1, 2, 50, 51, 52], [50, 51, 52], 4)).toEqual([0, 1]);
    expect(pagesToEvict([0, 1, 2], [1], 5)).toEqual([]);
  });
});
