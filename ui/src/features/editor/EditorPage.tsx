import { useQuery } from "@tanstack/react-query";
import { ReactFlowProvider } from "@xyflow/react";
import { ArrowLeft } from "lucide-react";
import { Link, useLocation, useParams } from "react-router";

import { ErrorPanel } from "@/components";
import { type ApiError, type WorkflowDef, type WorkflowSummary, queryKeys, workflowsApi } from "@/api";

import { Editor } from "./Editor";
import styles from "./Editor.module.css";

/** The route /workflows/:workflowId: loads the workflow, then opens the editor on it. */
export function EditorPage() {
  const { workflowId } = useParams();
  const id = Number(workflowId);
  const location = useLocation();
  const notice = (location.state as { notice?: string } | null)?.notice;
  const query = useQuery<[WorkflowSummary, WorkflowDef], ApiError>({
    queryKey: queryKeys.workflow(id),
    queryFn: () => workflowsApi.get(id),
    enabled: Number.isInteger(id),
    // The editor holds its own draft: a refetch must not replace it.
    staleTime: Infinity,
    gcTime: 0,
    refetchOnWindowFocus: false,
  });

  if (!Number.isInteger(id) || query.error) {
    return (
      <div className={styles.loadingPage}>
        <Link to="/workflows" className={styles.backLink}>
          <ArrowLeft size={16} aria-hidden /> Workflows
        </Link>
        <ErrorPanel
          title="This workflow could not be opened"
          error={query.error ?? { code: "not_found", message: `“${workflowId}” is not a workflow id.` }}
          onRetry={query.error ? () => void query.refetch() : undefined}
        />
      </div>
    );
  }
  if (!query.data) {
    return (
      <div className={styles.loadingPage} role="status">
        Opening the workflow…
      </div>
    );
  }
  const [summary, def] = query.data;
  return (
    <ReactFlowProvider>
      <Editor key={summary.id} summary={summary} def={def} notice={notice} />
    </ReactFlowProvider>
  );
}
