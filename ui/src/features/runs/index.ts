// Re-running what failed: one run's page with "Retry" / "Restart from start"
// (/runs/:runId) and a workflow's failures with the same as a bulk action
// (/workflows/:workflowId/failures). The engine decides what a retry does
// (cairn_engine::retry, docs/editor.md "Re-running failed runs").
export { FailuresPage } from "./FailuresPage";
export { RunPage } from "./RunPage";
