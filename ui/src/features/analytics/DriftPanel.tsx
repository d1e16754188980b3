// Drift: the workflow's last 7 days against the 28 days before, metric by
// metric, with the verdict of the rule in docs/analytics.md ("Drift") and
// the open drift incidents. Independent of the range picker: drift is
// always about the last week.

import { useQuery } from "@tanstack/react-query";

import { type ApiError, type DriftReport, type MetricDrift, queryKeys, watchApi } from "@/api";

import { count, duration, percent } from "./figures";
import styles from "./Analytics.module.css";

const LABEL: Record<MetricDrift["metric"], string> = {
  completion_rate: "Completion rate",
  error_rate: "Error rate",
  time_to_completion: "Median time to completion",
};

const VERDICT: Record<MetricDrift["verdict"], string> = {
  drift: "Drift",
  steady: "Steady",
  too_few_runs: "Too few runs to judge",
};

function figure(m: MetricDrift, v: number | null): string {
  if (v === null) return "–";
  return m.metric === "time_to_completion" ? duration(v) : percent(v);
}

function test(m: MetricDrift): string {
  if (m.z !== null) return `z = ${m.z.toFixed(1)}`;
  if (m.ratio !== null) return `× ${m.ratio.toFixed(2)}`;
  return "–";
}

export function DriftTable({ report }: { report: DriftReport }) {
  return (
    <section className={styles.panel} data-testid="drift">
      <h2 className={styles.panelTitle}>Drift: the last 7 days against the 28 before</h2>
      {report.incidents.map((i) => (
        <p key={i.id} className={styles.driftIncident} role="alert" data-testid="drift-incident">
          <strong>{i.title}</strong> {i.message}
        </p>
      ))}
      <table className={styles.table}>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col" className={styles.numeric}>Last 7 days</th>
            <th scope="col" className={styles.numeric}>28 days before</th>
            <th scope="col" className={styles.numeric}>Test</th>
            <th scope="col">Verdict</th>
          </tr>
        </thead>
        <tbody>
          {report.metrics.map((m) => (
            <tr key={m.metric} data-testid={`drift-${m.metric}`} data-verdict={m.verdict}>
              <td>{LABEL[m.metric]}</td>
              <td className={styles.numeric}>
                {figure(m, m.recent)} <span className={styles.of}>of {count(m.recent_n)}</span>
              </td>
              <td className={styles.numeric}>
                {figure(m, m.baseline)} <span className={styles.of}>of {count(m.baseline_n)}</span>
              </td>
              <td className={styles.numeric}>{test(m)}</td>
              <td className={m.verdict === "drift" ? styles.driftVerdict : undefined}>{VERDICT[m.verdict]}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Reads the workflow's drift and shows it; nothing while it loads or when it cannot be read. */
export function DriftPanel({ id }: { id: number }) {
  const q = useQuery<DriftReport, ApiError>({ queryKey: queryKeys.analytics.drift(id), queryFn: () => watchApi.drift(id) });
  return q.data ? <DriftTable report={q.data} /> : null;
}
