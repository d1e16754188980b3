// The Workflows screen: the list of workflows with their status.
export { WorkflowsPage } from "./WorkflowsPage";
export { workflowsQueryKey } from "./useWorkflows";
