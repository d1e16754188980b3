import { describe, expect, it } from "vitest";

import { canRedo, canUndo, checkpoint, push, redo, replace, startHistory, undo } from "./history";

describe("undo / redo history", () => {
  it("undoes and redoes each pushed step in order", () => {
    let h = startHistory("a");
    h = push(h, "b");
    h = push(h, "c");
    expect(h.present).toBe("c");
    h = undo(h);
    expect(h.present).toBe("b");
    h = undo(h);
    expect(h.present).toBe("a");
    expect(canUndo(h)).toBe(false);
    expect(undo(h)).toBe(h);
    h = redo(h);
    h = redo(h);
    expect(h.present).toBe("c");
    expect(canRedo(h)).toBe(false);
    expect(redo(h)).toBe(h);
  });

  it("forgets redo when a new step is pushed after an undo", () => {
    let h = push(push(startHistory(1), 2), 3);
    h = undo(h);
    h = push(h, 4);
    expect(h.present).toBe(4);
    expect(canRedo(h)).toBe(false);
    expect(undo(h).present).toBe(2);
  });

  it("takes a whole drag back in one undo", () => {
    const start = { x: 0 };
    let h = push(startHistory({ x: -1 }), start);
    h = checkpoint(h); // the drag starts: one step
    h = replace(h, { x: 5 });
    h = replace(h, { x: 9 });
    h = replace(h, { x: 12 });
    expect(h.present).toEqual({ x: 12 });
    h = undo(h);
    expect(h.present).toBe(start);
    expect(redo(h).present).toEqual({ x: 12 });
  });

  it("does not record pushing the same value and keeps at most the limit", () => {
    const h0 = startHistory("x");
    expect(push(h0, "x")).toBe(h0);
    let h = startHistory(0);
    for (let i = 1; i <= 10; i++) h = push(h, i, 3);
    expect(h.past).toEqual([7, 8, 9]);
  });
});
