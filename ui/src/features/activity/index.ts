// The Activity screen: latest events and runs, live.
export { ActivityPage } from "./ActivityPage";
