import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { type ApiError, type WorkflowOverview, type WorkflowStatus, queryKeys, workflowsApi } from "@/api";

/** Every workflow with its headline numbers, through list_workflow_overviews. */
export function useWorkflows() {
  return useQuery<WorkflowOverview[], ApiError>({
    queryKey: queryKeys.workflows,
    queryFn: workflowsApi.overviews,
  });
}

/** The list's changes: each refreshes the list when it is done. */
export function useWorkflowActions() {
  const client = useQueryClient();
  const refresh = () => client.invalidateQueries({ queryKey: queryKeys.workflows });
  const setStatus = useMutation<unknown, ApiError, { name: string; status: WorkflowStatus }>({
    mutationFn: ({ name, status }) => workflowsApi.setStatus(name, status),
    onSettled: refresh,
  });
  const duplicate = useMutation<unknown, ApiError, string>({
    mutationFn: (name) => workflowsApi.duplicate(name),
    onSettled: refresh,
  });
  const remove = useMutation<unknown, ApiError, string>({
    mutationFn: (name) => workflowsApi.remove(name),
    onSettled: refresh,
  });
  return { setStatus, duplicate, remove, refresh };
}
