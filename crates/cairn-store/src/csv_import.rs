//! CSV import of contacts (see `Store::import_contacts_csv`).
