// The watch: a workflow's first 48 hours after it went live (activated, or
// a new version saved while active), shown in its row of the Workflows
// screen and in the editor. The figures are cairn_store::watch's.
export { WatchPanel, WatchRow, WatchToggle } from "./WatchPanel";
export { useWatch, useWatches } from "./useWatch";
