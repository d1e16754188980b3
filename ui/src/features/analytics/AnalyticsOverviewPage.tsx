import { useQuery } from "@tanstack/react-query";
import { ChartColumn } from "lucide-react";
import { Link } from "react-router";

import { Badge, EmptyState, ErrorPanel, PageHeader } from "@/components";
import { type ApiError, type WorkflowOverview, type WorkflowStats, analyticsApi, queryKeys, workflowsApi } from "@/api";

import { count, money, percent, rangeParam } from "./figures";
import { Figure } from "./Figure";
import { RangePicker } from "./RangePicker";
import { useRange } from "./useRange";
import styles from "./Analytics.module.css";

/** The route /analytics: every workflow's headline figures over one range, each linking to its own view. */
export function AnalyticsOverviewPage() {
  const [days, setDays] = useRange();
  const stats = useQuery<WorkflowStats[], ApiError>({
    queryKey: queryKeys.analytics.overview(days),
    queryFn: () => analyticsApi.overview(days),
  });
  // The status of each workflow (the stats are about runs, not status).
  const list = useQuery<WorkflowOverview[], ApiError>({
    queryKey: queryKeys.workflows,
    queryFn: workflowsApi.overviews,
  });
  const status = new Map((list.data ?? []).map((o) => [o.workflow.id, o.workflow.status]));

  const rows = stats.data ?? [];
  const sum = (f: (s: WorkflowStats) => number) => rows.reduce((n, s) => n + f(s), 0);
  const started = sum((s) => s.runs.started);
  const conversions = sum((s) => s.conversions);
  const saved = sum((s) => s.cost_saved.amount);
  const active = rows[0]?.workflows_active ?? 0;

  return (
    <>
      <PageHeader
        title="Analytics"
        description="How each workflow is doing: live runs only, over the range you pick."
        actions={<RangePicker value={days} onChange={setDays} />}
      />
      {stats.error ? (
        <ErrorPanel title="The analytics could not be read" error={stats.error} onRetry={() => void stats.refetch()} />
      ) : stats.isPending ? (
        <p className={styles.loading}>Loading…</p>
      ) : rows.length === 0 ? (
        <EmptyState icon={ChartColumn} title="No workflows yet" testId="analytics-empty">
          Create a workflow or start from a template; its completion, conversions and time saved show up here once it runs.
        </EmptyState>
      ) : (
        <>
          <div className={styles.summary}>
            <Figure label="Workflows active" testId="workflows-active" value={count(active)} detail={`of ${count(rows.length)} workflow${rows.length === 1 ? "" : "s"}`} hint="Workflows whose status is active." />
            <Figure label="Runs started" testId="runs-started" value={count(started)} detail="in this range, all workflows" hint="Live runs started in the range." />
            <Figure label="Conversions" testId="total-conversions" value={count(conversions)} detail="goals reached, all workflows" hint="Runs that ended by reaching a goal that counts as a conversion." />
            <Figure label="Cost saved" testId="total-cost-saved" value={money(saved)} detail="at each workflow's own hourly rate" hint="Per workflow: completed runs × manual minutes per run ÷ 60 × hourly rate." />
          </div>
          <table className={styles.table} data-testid="analytics-overview">
            <thead>
              <tr>
                <th scope="col">Workflow</th>
                <th scope="col" className={styles.numeric}>Started</th>
                <th scope="col" className={styles.numeric}>Ended</th>
                <th scope="col" className={styles.numeric}>Completion</th>
                <th scope="col" className={styles.numeric}>Conversions</th>
                <th scope="col" className={styles.numeric}>Error rate</th>
                <th scope="col" className={styles.numeric}>Cost saved</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => (
                <tr key={s.workflow_id} data-testid="analytics-row">
                  <td>
                    <Link to={`/workflows/${s.workflow_id}/analytics?range=${rangeParam(days)}`} className={styles.nameLink} data-testid="analytics-workflow">
                      {s.workflow}
                    </Link>{" "}
                    {status.get(s.workflow_id) === "active" && <Badge tone="success" label="Active" />}
                  </td>
                  <td className={styles.numeric}>{count(s.runs.started)}</td>
                  <td className={styles.numeric}>{count(s.runs.ended)}</td>
                  <td className={styles.numeric}>{percent(s.completion_rate)}</td>
                  <td className={styles.numeric}>
                    {count(s.conversions)}
                    {s.conversion_rate !== null && <span className={styles.meta}> ({percent(s.conversion_rate)})</span>}
                  </td>
                  <td className={styles.numeric}>{percent(s.error_rate)}</td>
                  <td className={styles.numeric}>{money(s.cost_saved.amount)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}
