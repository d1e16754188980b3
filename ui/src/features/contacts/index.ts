// The Contacts screen: the paged list, one contact's page, the CSV import.
// Its timeline pieces are reused by the Activity screen.
export { ContactPage } from "./ContactPage";
export { ContactsPage } from "./ContactsPage";
export { EventEntry, RunEntry } from "./Timeline";
export { usePipelines } from "./useContact";
export { useTags } from "./useContacts";
