import { useQuery } from "@tanstack/react-query";
import { ArrowLeft, ChartColumn, PenLine } from "lucide-react";
import { Link, useParams } from "react-router";

import { EmptyState, ErrorPanel, PageHeader } from "@/components";
import { type ApiError, type WorkflowStats, analyticsApi, queryKeys } from "@/api";

import { DriftPanel } from "./DriftPanel";
import { ExperiencePanel } from "./ExperiencePanel";
import { count, duration, money, percent, rangeText } from "./figures";
import { Figure } from "./Figure";
import { RangePicker } from "./RangePicker";
import { SeriesChart } from "./SeriesChart";
import { SplitResultsPanel } from "./SplitResultsPanel";
import { useRange } from "./useRange";
import styles from "./Analytics.module.css";

/** The route /workflows/:workflowId/analytics: one workflow's figures and chart. */
export function WorkflowAnalyticsPage() {
  const { workflowId } = useParams();
  const id = Number(workflowId);
  const [days, setDays] = useRange();
  const stats = useQuery<WorkflowStats, ApiError>({
    queryKey: queryKeys.analytics.workflow(id, days),
    queryFn: () => analyticsApi.workflow(id, days),
    enabled: Number.isInteger(id),
  });

  const back = (
    <Link to="/workflows" className={styles.backLink}>
      <ArrowLeft size={16} aria-hidden /> Workflows
    </Link>
  );
  if (!Number.isInteger(id) || stats.error) {
    return (
      <>
        {back}
        <ErrorPanel
          title="The analytics of this workflow could not be read"
          error={stats.error ?? { code: "not_found", message: `“${workflowId}” is not a workflow id.` }}
          onRetry={stats.error ? () => void stats.refetch() : undefined}
        />
      </>
    );
  }
  const s = stats.data;
  return (
    <>
      {back}
      <PageHeader
        title={s ? `${s.workflow}: analytics` : "Analytics"}
        description={
          s ? `${rangeText(s.since, s.until)}. Live runs only; days in ${s.timezone}.` : "Reading the run log…"
        }
        actions={
          <>
            <RangePicker value={days} onChange={setDays} />
            <Link to={`/workflows/${id}`} className={styles.editLink} data-testid="open-editor">
              <PenLine size={16} aria-hidden /> Open in editor
            </Link>
          </>
        }
      />
      {!s ? (
        <p className={styles.loading}>Loading…</p>
      ) : s.runs.started === 0 && s.runs.ended === 0 && s.action_steps === 0 ? (
        <EmptyState icon={ChartColumn} title="No runs in this range" testId="analytics-empty">
          {days === null
            ? "This workflow has not run yet. Its figures and chart appear here once contacts go through it; test runs from the editor are not counted."
            : "Nothing started, ended or took a step in this range. Pick a longer range, or come back once contacts go through the workflow."}
        </EmptyState>
      ) : (
        <WorkflowFigures stats={s} />
      )}
      {Number.isInteger(id) && <DriftPanel id={id} />}
      {s && <ExperiencePanel id={id} since={s.since} until={s.until} />}
    </>
  );
}

function WorkflowFigures({ stats: s }: { stats: WorkflowStats }) {
  const r = s.runs;
  const t = s.time_to_completion;
  const c = s.cost_saved;
  return (
    <>
      <div className={styles.figures}>
        <Figure
          label="Completion rate"
          testId="completion-rate"
          value={percent(s.completion_rate)}
          detail={r.ended ? `${count(r.completed)} completed of ${count(r.ended)} ended (${count(r.exited)} exited, ${count(r.failed)} failed)` : "No run ended in this range"}
          hint="Completed runs ÷ runs that ended in the range (completed, exited or failed)."
        />
        <Figure
          label="Conversions"
          testId="conversions"
          value={count(s.conversions)}
          detail={
            s.conversion_rate === null
              ? "No run ended in this range"
              : `${percent(s.conversion_rate)} of ended runs${s.goals.length ? ` · ${s.goals.map((g) => `${g.goal} ${count(g.runs)}`).join(", ")}` : ""}`
          }
          hint="Runs that ended by reaching a goal that counts as a conversion."
        />
        <Figure
          label="Drop-off step"
          testId="drop-off"
          value={s.drop_off ? (s.drop_off.label ?? s.drop_off.node) : "None"}
          detail={s.drop_off ? `${count(s.drop_off.total)} ended early here (${count(s.drop_off.exited)} left, ${count(s.drop_off.failed)} failed)` : "No run ended early"}
          hint="The node where most runs ended early: an exit that was not a conversion, or a failure. Runs still waiting are not drop-offs."
        />
        <Figure
          label="Error rate"
          testId="error-rate"
          value={percent(s.error_rate)}
          detail={s.action_steps ? `${count(s.failed_action_steps)} of ${count(s.action_steps)} action steps failed` : "No action ran in this range"}
          hint="Failed action steps ÷ finished action steps. An action that succeeded after retries is not an error."
        />
        <Figure
          label="Time to completion"
          testId="time-to-completion"
          value={t ? duration(t.median_secs) : "–"}
          detail={t ? `median; p90 ${duration(t.p90_secs)}, over ${count(t.runs)} completed run${t.runs === 1 ? "" : "s"}` : "No run completed in this range"}
          hint="Median and 90th percentile of end − start over the runs completed in the range."
        />
        <Figure
          label="Throughput"
          testId="throughput"
          value={`${count(s.throughput.per_day, 2)} a day`}
          detail={`${count(s.throughput.per_week, 1)} a week · ${count(r.started)} started, ${count(r.open)} still open`}
          hint="Runs started in the range ÷ its length in days; a week is × 7."
        />
        <Figure
          label="Cost saved"
          testId="cost-saved"
          value={money(c.amount)}
          detail={`${count(c.completed_runs)} completed × ${count(c.manual_minutes_per_run, 0)} min at ${money(c.hourly_rate)} an hour = ${count(c.hours, 1)} h`}
          hint="Completed runs × manual minutes per run ÷ 60 × hourly rate, from the workflow's settings."
        />
        <Figure
          label="Workflows active"
          testId="workflows-active"
          value={count(s.workflows_active)}
          detail="in this database, now"
          hint="Workflows whose status is active."
        />
      </div>
      <section className={styles.panel}>
        <h2 className={styles.panelTitle}>Runs per day</h2>
        <SeriesChart series={s.series} />
      </section>
      {s.splits.map((split) => (
        <SplitResultsPanel key={split.node} workflowId={s.workflow_id} split={split} />
      ))}
      {s.drop_offs.length > 1 && (
        <section className={styles.panel} data-testid="drop-offs">
          <h2 className={styles.panelTitle}>Where runs ended early</h2>
          <table className={styles.table}>
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col" className={styles.numeric}>Left</th>
                <th scope="col" className={styles.numeric}>Failed</th>
                <th scope="col" className={styles.numeric}>Total</th>
              </tr>
            </thead>
            <tbody>
              {s.drop_offs.map((d) => (
                <tr key={d.node}>
                  <td>{d.label ?? d.node}</td>
                  <td className={styles.numeric}>{count(d.exited)}</td>
                  <td className={styles.numeric}>{count(d.failed)}</td>
                  <td className={styles.numeric}>{count(d.total)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}
