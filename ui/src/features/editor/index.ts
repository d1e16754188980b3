// The canvas editor of one workflow (route /workflows/:workflowId).
export { EditorPage } from "./EditorPage";
// The canvas node card, for read-only canvases elsewhere (the templates gallery's preview).
export { StepNode, type StepFlowNode } from "./StepNode";
