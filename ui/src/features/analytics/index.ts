// Analytics: one workflow's figures and chart over a chosen range
// (/workflows/:workflowId/analytics), and the overview of every workflow
// (/analytics). The figures are cairn_store::analytics's, as defined in
// docs/analytics.md; nothing is computed here but the wording.
export { AnalyticsOverviewPage } from "./AnalyticsOverviewPage";
export { WorkflowAnalyticsPage } from "./WorkflowAnalyticsPage";
