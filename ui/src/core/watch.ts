// How the 48-hour watch after activation reads (the Workflows screen's rows
// and the editor). Pure: "now" is an argument.

import type { WatchState } from "@/bindings";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Time left until `until`, seen from `now`: "31 h left", "45 min left", "ending". */
export function watchTimeLeft(until: string, now: Date): string {
  const left = new Date(until).getTime() - now.getTime();
  if (Number.isNaN(left) || left < MINUTE) return "ending";
  if (left < HOUR) return `${Math.floor(left / MINUTE)} min left`;
  return `${Math.floor(left / HOUR)} h left`;
}

/** "12 runs, 1 failed" — the one-line sum of a watch. */
export function watchSummary(w: WatchState): string {
  const runs = `${w.runs_started} ${w.runs_started === 1 ? "run" : "runs"}`;
  return w.failed > 0 ? `${runs}, ${w.failed} failed` : runs;
}

/** "pause 2 · hook 1": where the open runs stand, by node label when known. */
export function watchPositions(w: WatchState, label: (node: string) => string = (n) => n): string {
  if (w.at_nodes.length === 0) return "no run waiting";
  return w.at_nodes.map((n) => `${label(n.node)} ${n.runs}`).join(" · ");
}
