// Every keyboard shortcut of the editor, in one table: the editor's key
// handling looks commands up here (`commandFor`), and the shortcut sheet
// lists the same rows in this order, so the two cannot drift apart. No key
// press matches two rows.

/** What a shortcut does; the editor maps each to its action. */
export type Command =
  | "save"
  | "undo"
  | "redo"
  | "copy"
  | "cut"
  | "paste"
  | "duplicate"
  | "selectAll"
  | "delete"
  | "layout"
  | "fit"
  | "clearSelection"
  | "sheet";

/**
 * One key press: `key` as KeyboardEvent.key, lower-cased; `mod` is Ctrl
 * (or ⌘) and `shift` Shift, each required (true), refused (false) or
 * either (left out).
 */
type Chord = { key: string; mod?: boolean; shift?: boolean };

type Shortcut = {
  command: Command;
  /** The first chord is the one the sheet shows. */
  chords: Chord[];
  what: string;
  /** Also while typing in a field or with a dialog open. */
  always?: boolean;
};

const ctrl = (key: string, shift?: boolean): Chord => ({ key, mod: true, ...(shift === undefined ? {} : { shift }) });

export const SHORTCUTS: Shortcut[] = [
  { command: "save", chords: [ctrl("s")], what: "Save", always: true },
  { command: "undo", chords: [ctrl("z", false)], what: "Undo" },
  { command: "redo", chords: [ctrl("y"), ctrl("z", true)], what: "Redo (also Ctrl Shift Z)" },
  { command: "copy", chords: [ctrl("c")], what: "Copy the selected nodes" },
  { command: "cut", chords: [ctrl("x")], what: "Cut the selected nodes" },
  { command: "paste", chords: [ctrl("v")], what: "Paste (also into another workflow)" },
  { command: "duplicate", chords: [ctrl("d")], what: "Duplicate the selected nodes" },
  { command: "selectAll", chords: [ctrl("a")], what: "Select every node" },
  { command: "delete", chords: [{ key: "delete" }, { key: "backspace" }], what: "Delete the selection (also Backspace)" },
  { command: "layout", chords: [{ key: "l", mod: false, shift: true }], what: "Auto-layout" },
  { command: "fit", chords: [{ key: "f", mod: false, shift: true }], what: "Fit the workflow in view" },
  { command: "clearSelection", chords: [{ key: "escape" }], what: "Clear the selection" },
  { command: "sheet", chords: [{ key: "?" }], what: "This sheet" },
];

const KEY_NAMES: Record<string, string> = { escape: "Esc", delete: "Delete", backspace: "Backspace" };

/** A chord as the sheet writes it, such as ["Ctrl", "S"]. */
export function keysOf(chord: Chord): string[] {
  return [...(chord.mod ? ["Ctrl"] : []), ...(chord.shift ? ["Shift"] : []), KEY_NAMES[chord.key] ?? chord.key.toUpperCase()];
}

/** The sheet's rows: the keys of each shortcut's first chord and what it does. */
export const SHEET: { keys: string[]; what: string }[] = SHORTCUTS.map((s) => ({ keys: keysOf(s.chords[0]!), what: s.what }));

type Press = { key: string; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean };

function matches(chord: Chord, e: Press): boolean {
  const mod = e.ctrlKey || e.metaKey;
  return (
    e.key.toLowerCase() === chord.key &&
    (chord.mod === undefined || chord.mod === mod) &&
    (chord.shift === undefined || chord.shift === e.shiftKey)
  );
}

/**
 * The command a key press means, or null. `typing`: the press went to a
 * field or a dialog is open, where only the `always` shortcuts apply.
 */
export function commandFor(e: Press, typing: boolean): Command | null {
  const s = SHORTCUTS.find((x) => (!typing || x.always) && x.chords.some((c) => matches(c, e)));
  return s?.command ?? null;
}
