import { useQuery } from "@tanstack/react-query";

import { api } from "@/api";
import type { ApiError, WorkflowSummary } from "@/api";

/** The cache key of the workflow list; invalidate it after a change. */
export const workflowsQueryKey = ["workflows"] as const;

/** The workflow list, read from the database through the list_workflows command. */
export function useWorkflows() {
  return useQuery<WorkflowSummary[], ApiError>({
    queryKey: workflowsQueryKey,
    queryFn: api.listWorkflows,
  });
}
