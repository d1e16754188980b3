// The Settings screen: the database, the secret store, sender defaults.
export { SettingsPage } from "./SettingsPage";
