import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowLeft, CircleCheck } from "lucide-react";
import { useState } from "react";
import { Link, useParams } from "react-router";

import {
  type ApiError,
  CHANGE_EVENT,
  type FailureFilter,
  type Retried,
  type RetryFrom,
  type Run,
  queryKeys,
  runsApi,
  workflowsApi,
} from "@/api";
import { EmptyState, ErrorPanel, Field, PageHeader, inputClass } from "@/components";
import { formatRelative } from "@/core/time";
import { useSettled, useTauriEvent } from "@/hooks";

import { RetryButtons } from "./RetryButtons";
import { retriedText } from "./retried";
import styles from "./Runs.module.css";

/** The route /workflows/:workflowId/failures: the failed runs to re-run, filtered by node and error, with a bulk retry. */
export function FailuresPage() {
  const { workflowId } = useParams();
  const id = Number(workflowId);
  const client = useQueryClient();
  const workflow = useQuery({
    queryKey: queryKeys.workflow(id),
    queryFn: () => workflowsApi.get(id),
    enabled: Number.isInteger(id),
  });
  const name = workflow.data?.[0].name ?? "";
  const [node, setNode] = useState("");
  const [error, setError] = useState("");
  const settledNode = useSettled(node, 300).trim();
  const settledError = useSettled(error, 300).trim();
  const filter: FailureFilter = {
    ...(settledNode && { node: settledNode }),
    ...(settledError && { error: settledError }),
  };
  const failures = useQuery<Run[], ApiError>({
    queryKey: queryKeys.failures(name, filter.node ?? "", filter.error ?? ""),
    queryFn: () => runsApi.failed(name, filter),
    enabled: name !== "",
  });
  useTauriEvent(CHANGE_EVENT, () => void client.invalidateQueries({ queryKey: queryKeys.runs }));
  const [status, setStatus] = useState<string | null>(null);
  const retry = useMutation<Retried[], ApiError, RetryFrom>({
    mutationFn: (from) => runsApi.retryFailed(name, filter, from),
    onSuccess: (r) => {
      setStatus(retriedText(r));
      void client.invalidateQueries({ queryKey: queryKeys.runs });
      void client.invalidateQueries({ queryKey: queryKeys.activity.all });
    },
    onError: (e) => setStatus(e.message),
  });

  const back = (
    <Link to="/workflows" className={styles.backLink}>
      <ArrowLeft size={16} aria-hidden /> Workflows
    </Link>
  );
  const problem: ApiError | null = (workflow.error as ApiError | null) ?? failures.error;
  if (!Number.isInteger(id) || problem) {
    return (
      <>
        {back}
        <ErrorPanel
          title="The failures of this workflow could not be read"
          error={problem ?? { code: "not_found", message: `“${workflowId}” is not a workflow id.` }}
        />
      </>
    );
  }
  const now = new Date();
  const rows = failures.data ?? [];
  return (
    <>
      {back}
      <PageHeader
        title={name ? `${name}: failed runs` : "Failed runs"}
        description="Live runs that failed and were not restarted. Fix the cause (an account, a field), then retry them from the step that failed or restart them on the current version."
      />
      <div className={styles.filters}>
        <Field label="Failed at node" htmlFor="failures-node">
          <input id="failures-node" className={inputClass} value={node} onChange={(e) => setNode(e.target.value)} data-testid="failures-node" />
        </Field>
        <Field label="Error contains" htmlFor="failures-error">
          <input id="failures-error" className={inputClass} value={error} onChange={(e) => setError(e.target.value)} data-testid="failures-error" />
        </Field>
      </div>
      {rows.length > 0 && (
        <RetryButtons all onRetry={(from) => retry.mutate(from)} busy={retry.isPending} status={status} />
      )}
      {failures.isPending ? (
        <p className={styles.muted}>Reading the failed runs…</p>
      ) : rows.length === 0 ? (
        <>
          {status && (
            <p className={styles.muted} role="status" data-testid="retry-status">
              {status}
            </p>
          )}
          <EmptyState icon={CircleCheck} title="No failed runs to retry" testId="failures-empty">
            {filter.node || filter.error ? "None match these filters." : "Every run of this workflow is going or went well."}
          </EmptyState>
        </>
      ) : (
        <table className={styles.table} data-testid="failures">
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Contact</th>
              <th scope="col">Node</th>
              <th scope="col">Error</th>
              <th scope="col">Failed</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-testid="failure">
                <td>
                  <Link to={`/runs/${r.id}`} data-testid="failure-run">
                    {r.id}
                  </Link>
                </td>
                <td>{r.contact_email}</td>
                <td>{r.current_node}</td>
                <td className={styles.error}>{r.exit_reason}</td>
                <td title={r.ended_at ?? undefined}>{r.ended_at ? formatRelative(r.ended_at, now) : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
