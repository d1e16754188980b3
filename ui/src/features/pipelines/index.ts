// The Pipelines screen: the deal board, its moves and pipeline editing.
export { PipelinesPage } from "./PipelinesPage";
