// The canvas editor's code: loaded on first use (the app starts without it),
// and fetched ahead once the app has been idle on another screen for a
// moment, so the first workflow a user opens does not wait for the code to
// arrive and be parsed (docs/BENCHMARKS.md, "Editor: opening a 500-node
// workflow"). The module system keeps one copy: calling this twice loads once.
export const loadEditor = () => import("@/features/editor");

/** How long the app waits on another screen before fetching the editor. */
export const PREFETCH_AFTER_MS = 1500;
