import { describe, expect, it } from "vitest";

import { SHEET, SHORTCUTS, commandFor } from "./shortcuts";

const press = (key: string, mods: { ctrl?: boolean; meta?: boolean; shift?: boolean } = {}) => ({
  key,
  ctrlKey: mods.ctrl ?? false,
  metaKey: mods.meta ?? false,
  shiftKey: mods.shift ?? false,
});

describe("the editor's shortcuts", () => {
  it("map key presses to commands, Ctrl or ⌘ alike", () => {
    expect(commandFor(press("z", { ctrl: true }), false)).toBe("undo");
    expect(commandFor(press("Z", { ctrl: true, shift: true }), false)).toBe("redo");
    expect(commandFor(press("y", { meta: true }), false)).toBe("redo");
    expect(commandFor(press("x", { ctrl: true }), false)).toBe("cut");
    expect(commandFor(press("Backspace"), false)).toBe("delete");
    expect(commandFor(press("Escape"), false)).toBe("clearSelection");
    expect(commandFor(press("L", { shift: true }), false)).toBe("layout");
    expect(commandFor(press("L", { ctrl: true, shift: true }), false)).toBeNull();
    expect(commandFor(press("?", { shift: true }), false)).toBe("sheet");
    expect(commandFor(press("q"), false)).toBeNull();
  });

  it("leave a field's typing alone, except saving", () => {
    expect(commandFor(press("z", { ctrl: true }), true)).toBeNull();
    expect(commandFor(press("Delete"), true)).toBeNull();
    expect(commandFor(press("s", { ctrl: true }), true)).toBe("save");
  });

  it("list every shortcut on the sheet, each chord meaning its own command", () => {
    expect(SHEET.map((s) => s.keys.join(" "))).toEqual([
      "Ctrl S",
      "Ctrl Z",
      "Ctrl Y",
      "Ctrl C",
      "Ctrl X",
      "Ctrl V",
      "Ctrl D",
      "Ctrl A",
      "Delete",
      "Shift L",
      "Shift F",
      "Esc",
      "?",
    ]);
    // Each chord means its own row's command (no earlier row takes it).
    for (const s of SHORTCUTS)
      for (const c of s.chords) expect(commandFor(press(c.key, { ctrl: c.mod ?? false, shift: c.shift ?? false }), false)).toBe(s.command);
  });
});
