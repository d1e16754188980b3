// The Contacts screen: the paged list, one contact's page, the CSV import.
// Its timeline pieces are reused by the Activity screen and the run page.
export { ContactPage } from "./ContactPage";
export { ContactsPage } from "./ContactsPage";
export { EventEntry, RunEntry, StepList } from "./Timeline";
export { runTone } from "./status";
export { usePipelines } from "./useContact";
export { useTags } from "./useContacts";
