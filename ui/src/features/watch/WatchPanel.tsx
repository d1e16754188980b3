import { useState } from "react";
import { Link } from "react-router";

import type { WatchState } from "@/api";
import { formatRelative } from "@/core/time";
import { watchPositions, watchSummary, watchTimeLeft } from "@/core/watch";

import styles from "./Watch.module.css";

type Props = {
  watch: WatchState;
  now: Date;
  /** A node's label for display (the editor knows them); the id otherwise. */
  label?: (node: string) => string;
};

/**
 * The watch of a workflow in its first 48 hours live: time left, runs
 * started, where the open ones stand, and every failure with its reason
 * and a link to the run.
 */
export function WatchPanel({ watch: w, now, label }: Props) {
  return (
    <section className={styles.panel} data-testid="watch-panel" aria-label="First 48 hours">
      <div className={styles.head}>
        <span className={styles.title}>Watching v{w.version}</span>
        <span data-testid="watch-time-left">{watchTimeLeft(w.until, now)}</span>
        <span className={styles.muted}>since {formatRelative(w.since, now)}</span>
      </div>
      <div data-testid="watch-counts">
        {w.runs_started} started · {w.open} open · {w.completed} completed · {w.exited} exited · {w.failed} failed
      </div>
      <div data-testid="watch-positions">
        <span className={styles.muted}>Now at: </span>
        {watchPositions(w, label)}
      </div>
      {w.failures.length > 0 && (
        <ul className={styles.failures} data-testid="watch-failures">
          {w.failures.map((f) => (
            <li key={f.run_id} className={styles.failure} data-testid="watch-failure">
              <Link to={`/runs/${f.run_id}`} data-testid="watch-failure-link">
                Run {f.run_id}
              </Link>
              <span className={styles.reason}>{f.reason ?? `failed at ${f.node ?? "an unknown node"}`}</span>
              <span className={styles.muted}>{formatRelative(f.at, now)}</span>
            </li>
          ))}
        </ul>
      )}
      {w.failed > w.failures.length && (
        <div className={styles.muted}>
          and {w.failed - w.failures.length} earlier failures (see the workflow's failures)
        </div>
      )}
    </section>
  );
}

/** The one line that says a workflow is watched; a button that opens or closes its panel. */
export function WatchToggle({ watch: w, now, open, onToggle }: { watch: WatchState; now: Date; open: boolean; onToggle: () => void }) {
  return (
    <button
      type="button"
      className={styles.toggle}
      data-failed={w.failed > 0}
      aria-expanded={open}
      onClick={onToggle}
      data-testid="watch-row-summary"
    >
      {open ? "▾" : "▸"} Watching · {watchTimeLeft(w.until, now)} · {watchSummary(w)}
    </button>
  );
}

/** The line and, when opened, the panel below it (the editor, above the canvas). */
export function WatchRow({ watch: w, now, label }: Props) {
  const [open, setOpen] = useState(false);
  return (
    <div className={styles.row} data-testid="watch-row">
      <WatchToggle watch={w} now={now} open={open} onToggle={() => setOpen((o) => !o)} />
      {open && <WatchPanel watch={w} now={now} label={label} />}
    </div>
  );
}
