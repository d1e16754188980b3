import { Badge } from "@/components";
import type { WorkflowSummary } from "@/api";
import { formatRelative } from "@/core/time";

import { statusBadge } from "./status";
import styles from "./WorkflowsPage.module.css";

type Props = { workflows: WorkflowSummary[]; now: Date };

/** The workflows as a table: name, status, version, last change. */
export function WorkflowTable({ workflows, now }: Props) {
  return (
    <table className={styles.table} data-testid="workflow-list">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Status</th>
          <th scope="col" className={styles.numeric}>
            Version
          </th>
          <th scope="col">Updated</th>
        </tr>
      </thead>
      <tbody>
        {workflows.map((w) => {
          const badge = statusBadge[w.status];
          return (
            <tr key={w.id} data-testid="workflow-row">
              <td className={styles.name} data-testid="workflow-name">
                {w.name}
              </td>
              <td title={badge.hint} data-testid="workflow-status">
                <Badge tone={badge.tone} label={badge.label} />
              </td>
              <td className={styles.numeric}>v{w.version}</td>
              <td className={styles.muted} title={w.updated_at}>
                {formatRelative(w.updated_at, now)}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
