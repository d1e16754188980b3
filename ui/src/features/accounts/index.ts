// The Accounts screen: connected accounts, adding, testing, syncing, removing.
export { AccountsPage } from "./AccountsPage";
