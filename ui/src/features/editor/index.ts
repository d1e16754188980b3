// The canvas editor of one workflow (route /workflows/:workflowId).
export { EditorPage } from "./EditorPage";
