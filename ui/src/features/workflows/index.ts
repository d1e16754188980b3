// The Workflows screen: the list of workflows with their status and numbers,
// and creating, importing, duplicating, exporting, activating and deleting them.
export { WorkflowsPage } from "./WorkflowsPage";
export { ActivateDialog } from "./ActivateDialog";
