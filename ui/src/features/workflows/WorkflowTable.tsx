import { ChartColumn, Copy, Download, Pause, Play, RotateCcw, Trash2 } from "lucide-react";
import { Fragment, useState } from "react";
import { Link } from "react-router";

import { Badge } from "@/components";
import type { WatchState, WorkflowOverview } from "@/api";
import { formatRelative } from "@/core/time";
import { WatchPanel, WatchToggle } from "@/features/watch";

import { formatCount, formatRate } from "./format";
import { statusBadge } from "./status";
import styles from "./WorkflowsPage.module.css";

type Props = {
  workflows: WorkflowOverview[];
  now: Date;
  /** The watches of workflows in their first 48 hours live, by id. */
  watches?: Map<number, WatchState>;
  /** The workflow whose action is running, if any (its buttons wait). */
  busy: string | null;
  onActivate: (name: string) => void;
  onPause: (name: string) => void;
  onDuplicate: (name: string) => void;
  onExport: (name: string) => void;
  onDelete: (w: WorkflowOverview) => void;
};

/** The workflows as a table: name, status, runs, completion, last error, actions. */
export function WorkflowTable({ workflows, now, watches, busy, onActivate, onPause, onDuplicate, onExport, onDelete }: Props) {
  // Workflows whose watch details are open, as a full-width row below theirs.
  const [watchOpen, setWatchOpen] = useState<ReadonlySet<number>>(new Set());
  const toggleWatch = (id: number) =>
    setWatchOpen((open) => {
      const next = new Set(open);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  return (
    <table className={styles.table} data-testid="workflow-list">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Status</th>
          <th scope="col" className={styles.numeric} title="Runs running or waiting now">
            Active runs
          </th>
          <th scope="col" className={styles.numeric} title="Completed runs out of ended runs">
            Completion
          </th>
          <th scope="col">Last error</th>
          <th scope="col">
            <span className={styles.visuallyHidden}>Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {workflows.map((o) => {
          const w = o.workflow;
          const badge = statusBadge[w.status];
          const waiting = busy === w.name;
          const watch = watches?.get(w.id);
          return (
            <Fragment key={w.id}>
              <tr data-testid="workflow-row" data-workflow={w.name}>
                <td className={styles.name}>
                  <Link to={`/workflows/${w.id}`} data-testid="workflow-name" className={styles.nameLink}>
                    {w.name}
                  </Link>
                  <span className={styles.meta}>
                    v{w.version} · updated <span title={w.updated_at}>{formatRelative(w.updated_at, now)}</span>
                  </span>
                  {watch && (
                    <WatchToggle watch={watch} now={now} open={watchOpen.has(w.id)} onToggle={() => toggleWatch(w.id)} />
                  )}
                </td>
                <td title={badge.hint} data-testid="workflow-status">
                  <Badge tone={badge.tone} label={badge.label} />
                </td>
                <td className={styles.numeric} data-testid="workflow-active-runs">
                  {formatCount(o.active_runs)}
                </td>
                <td
                  className={styles.numeric}
                  data-testid="workflow-completion"
                  title={
                    o.completion_rate === null
                      ? "No run has ended yet"
                      : `${formatCount(o.completed_runs)} of ${formatCount(o.ended_runs)} ended runs completed`
                  }
                >
                  {formatRate(o.completion_rate)}
                </td>
                <td className={styles.lastError} data-testid="workflow-last-error">
                  {o.last_error ? (
                    <span title={o.last_error.message ?? undefined}>
                      <span className={styles.errorText}>
                        {o.last_error.node}: {o.last_error.message ?? "failed"}
                      </span>
                      <span className={styles.meta}>{formatRelative(o.last_error.at, now)}</span>
                    </span>
                  ) : (
                    <span className={styles.none}>None</span>
                  )}
                </td>
                <td className={styles.actions}>
                  {w.status === "active" ? (
                    <button
                      type="button"
                      className={styles.textButton}
                      onClick={() => onPause(w.name)}
                      disabled={waiting}
                      data-testid="workflow-pause"
                    >
                      <Pause size={15} aria-hidden /> Pause
                    </button>
                  ) : (
                    <button
                      type="button"
                      className={styles.textButton}
                      onClick={() => onActivate(w.name)}
                      disabled={waiting}
                      data-testid="workflow-activate"
                    >
                      <Play size={15} aria-hidden /> Activate
                    </button>
                  )}
                  <Link
                    to={`/workflows/${w.id}/failures`}
                    className={styles.iconButton}
                    title="Failed runs"
                    aria-label={`Failed runs of ${w.name}`}
                    data-testid="workflow-failures"
                  >
                    <RotateCcw size={16} aria-hidden />
                  </Link>
                  <Link
                    to={`/workflows/${w.id}/analytics`}
                    className={styles.iconButton}
                    title="Analytics"
                    aria-label={`Analytics of ${w.name}`}
                    data-testid="workflow-analytics"
                  >
                    <ChartColumn size={16} aria-hidden />
                  </Link>
                  <button
                    type="button"
                    className={styles.iconButton}
                    onClick={() => onDuplicate(w.name)}
                    disabled={waiting}
                    title="Duplicate"
                    aria-label={`Duplicate ${w.name}`}
                    data-testid="workflow-duplicate"
                  >
                    <Copy size={16} aria-hidden />
                  </button>
                  <button
                    type="button"
                    className={styles.iconButton}
                    onClick={() => onExport(w.name)}
                    disabled={waiting}
                    title="Export to a file"
                    aria-label={`Export ${w.name}`}
                    data-testid="workflow-export"
                  >
                    <Download size={16} aria-hidden />
                  </button>
                  <button
                    type="button"
                    className={`${styles.iconButton} ${styles.danger}`}
                    onClick={() => onDelete(o)}
                    disabled={waiting}
                    title="Delete"
                    aria-label={`Delete ${w.name}`}
                    data-testid="workflow-delete"
                  >
                    <Trash2 size={16} aria-hidden />
                  </button>
                </td>
              </tr>
              {watch && watchOpen.has(w.id) && (
                <tr data-testid="watch-details">
                  <td colSpan={6}>
                    <WatchPanel watch={watch} now={now} />
                  </td>
                </tr>
              )}
            </Fragment>
          );
        })}
      </tbody>
    </table>
  );
}
