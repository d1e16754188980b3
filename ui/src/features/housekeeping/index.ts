// Running in the background and keeping the house: the Settings sections
// (start at login, notifications, retention and size, backup and restore),
// the wake notice, and the late note other screens put on a step.
export { HousekeepingSettings } from "./HousekeepingSettings";
export { LateNote } from "./LateNote";
export { WakeNotice } from "./WakeNotice";
