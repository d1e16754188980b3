import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowLeft } from "lucide-react";
import { useState } from "react";
import { Link, useParams } from "react-router";

import { type ApiError, CHANGE_EVENT, type RetryFrom, type Retried, queryKeys, runsApi } from "@/api";
import type { TestRun } from "@/api";
import { Badge, ErrorPanel, PageHeader } from "@/components";
import { StepList, runTone } from "@/features/contacts";
import { useTauriEvent } from "@/hooks";

import { RetryButtons } from "./RetryButtons";
import { retriedText } from "./retried";
import styles from "./Runs.module.css";

/** The route /runs/:runId: one run, its steps, and "Retry" / "Restart from start" when it failed. */
export function RunPage() {
  const { runId } = useParams();
  const id = Number(runId);
  const client = useQueryClient();
  const run = useQuery<TestRun, ApiError>({
    queryKey: queryKeys.run(id),
    queryFn: () => runsApi.get(id),
    enabled: Number.isInteger(id),
  });
  useTauriEvent(CHANGE_EVENT, () => void client.invalidateQueries({ queryKey: queryKeys.runs }));
  const [status, setStatus] = useState<string | null>(null);
  const retry = useMutation<Retried, ApiError, RetryFrom>({
    mutationFn: (from) => runsApi.retry(id, from),
    onSuccess: (r) => {
      setStatus(retriedText([r]));
      void client.invalidateQueries({ queryKey: queryKeys.runs });
      void client.invalidateQueries({ queryKey: queryKeys.activity.all });
    },
    onError: (e) => setStatus(e.message),
  });

  const back = (
    <Link to="/activity" className={styles.backLink}>
      <ArrowLeft size={16} aria-hidden /> Activity
    </Link>
  );
  if (!Number.isInteger(id) || run.error) {
    return (
      <>
        {back}
        <ErrorPanel
          title="This run could not be read"
          error={run.error ?? { code: "not_found", message: `“${runId}” is not a run id.` }}
          onRetry={run.error ? () => void run.refetch() : undefined}
        />
      </>
    );
  }
  if (!run.data) return <p className={styles.muted}>Loading the run…</p>;
  const r = run.data.run;
  return (
    <>
      {back}
      <PageHeader
        title={`Run ${r.id} of ${r.workflow}`}
        description={`Version ${r.version}, for ${r.contact_email}.${r.retries ? ` Retried ${r.retries} time${r.retries === 1 ? "" : "s"}.` : ""}${r.restarted_from ? ` Restarts run ${r.restarted_from}.` : ""}`}
      />
      <div className={styles.facts}>
        <span data-testid="run-status">
          <Badge tone={runTone[r.status]} label={r.status} />
        </span>
        {r.mode !== "live" && <Badge tone="accent" label={r.mode.replace("_", " ")} />}
        {r.current_node && <span className={styles.muted}>at {r.current_node}</span>}
        {r.exit_reason && (
          <span className={styles.error} data-testid="run-error">
            {r.exit_reason}
          </span>
        )}
        <Link to={`/workflows/${r.workflow_id}/failures`} data-testid="run-failures-link">
          Failures of {r.workflow}
        </Link>
      </div>
      {r.status === "failed" && r.mode === "live" && (
        <RetryButtons onRetry={(from) => retry.mutate(from)} busy={retry.isPending} status={status} />
      )}
      {r.status !== "failed" && status && (
        <p className={styles.muted} role="status" data-testid="retry-status">
          {status}
        </p>
      )}
      <StepList run={r} />
    </>
  );
}
