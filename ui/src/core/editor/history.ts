// Undo and redo over immutable snapshots. Every edit that should be undone
// on its own is `push`ed; a continuous edit (a drag) takes a `checkpoint`
// when it starts and then `replace`s the present as it goes, so one undo
// takes the whole drag back.

export type History<T> = {
  past: T[];
  present: T;
  future: T[];
};

/** How many steps back undo reaches. */
export const HISTORY_LIMIT = 200;

export function startHistory<T>(present: T): History<T> {
  return { past: [], present, future: [] };
}

/** A new present; the old one becomes undoable and redo is cleared. */
export function push<T>(h: History<T>, next: T, limit = HISTORY_LIMIT): History<T> {
  if (next === h.present) return h;
  const past = [...h.past, h.present];
  return { past: past.length > limit ? past.slice(past.length - limit) : past, present: next, future: [] };
}

/** Remembers the present as a step to come back to (the start of a drag). */
export function checkpoint<T>(h: History<T>, limit = HISTORY_LIMIT): History<T> {
  const past = [...h.past, h.present];
  return { past: past.length > limit ? past.slice(past.length - limit) : past, present: h.present, future: [] };
}

/** A new present that is not a step of its own (the middle of a drag). */
export function replace<T>(h: History<T>, next: T): History<T> {
  return next === h.present ? h : { ...h, present: next };
}

export function undo<T>(h: History<T>): History<T> {
  const prev = h.past[h.past.length - 1];
  if (prev === undefined) return h;
  return { past: h.past.slice(0, -1), present: prev, future: [h.present, ...h.future] };
}

export function redo<T>(h: History<T>): History<T> {
  const next = h.future[0];
  if (next === undefined) return h;
  return { past: [...h.past, h.present], present: next, future: h.future.slice(1) };
}

export function canUndo<T>(h: History<T>): boolean {
  return h.past.length > 0;
}

export function canRedo<T>(h: History<T>): boolean {
  return h.future.length > 0;
}
