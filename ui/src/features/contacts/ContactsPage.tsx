import { FileUp, ListChecks, Search, UserPlus, Users } from "lucide-react";
import { useCallback, useState } from "react";

import {
  CONTACT_SORTS,
  CONTACT_STATUSES,
  type ContactFilters,
  buildContactQuery,
  defaultFilters,
  isFiltered,
  toggleSort,
} from "@/core/contactQuery";
import { Button, EmptyState, ErrorPanel, PageHeader, SearchBox, selectClass } from "@/components";
import type { ContactSort, ContactStatus } from "@/api";

import { BulkDialog } from "./BulkDialog";
import { ContactDialog } from "./ContactDialog";
import { ContactTable } from "./ContactTable";
import styles from "./Contacts.module.css";
import { ImportDialog } from "./ImportDialog";
import { useContactPages, useTags } from "./useContacts";

const numberFormat = new Intl.NumberFormat("en-GB");

/** The Contacts screen: search, filter, sort and scroll through every contact. */
export function ContactsPage() {
  const [filters, setFilters] = useState<ContactFilters>(defaultFilters);
  const [range, setRange] = useState({ first: 0, last: 30 });
  const [dialog, setDialog] = useState<"import" | "add" | "bulk" | null>(null);
  const { count, total, row, error } = useContactPages(filters, range.first, range.last);
  const tags = useTags();
  const onRange = useCallback((first: number, last: number) => setRange({ first, last }), []);
  const set = (patch: Partial<ContactFilters>) => setFilters((f) => ({ ...f, ...patch }));

  const nothingAtAll = count.data === 0 && !isFiltered(filters);

  return (
    <>
      <PageHeader
        title="Contacts"
        description="Everyone your workflows run for. Click a contact to see its deals, course access and timeline."
        actions={
          <>
            <Button onClick={() => setDialog("import")} data-testid="import-csv">
              <FileUp size={16} aria-hidden /> Import CSV
            </Button>
            <Button variant="primary" onClick={() => setDialog("add")} data-testid="add-contact">
              <UserPlus size={16} aria-hidden /> Add contact
            </Button>
          </>
        }
      />
      {!nothingAtAll && (
        <div className={styles.toolbar}>
          <SearchBox
            label="Search email or name"
            value={filters.search}
            onChange={(search) => set({ search })}
            testId="contact-search"
          />
          <select
            className={selectClass}
            aria-label="Tag"
            value={filters.tag}
            onChange={(e) => set({ tag: e.target.value })}
            data-testid="tag-filter"
          >
            <option value="">All tags</option>
            {tags.data?.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
          <select
            className={selectClass}
            aria-label="Status"
            value={filters.status}
            onChange={(e) => set({ status: e.target.value as ContactStatus | "" })}
            data-testid="status-filter"
          >
            <option value="">Any status</option>
            {CONTACT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
          <select
            className={selectClass}
            aria-label="Sort by"
            value={filters.sort}
            onChange={(e) => {
              const sort = e.target.value as ContactSort;
              set({ sort, descending: sort === "created" });
            }}
            data-testid="sort-select"
          >
            {CONTACT_SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                Sort: {s.label}
              </option>
            ))}
          </select>
          <Button onClick={() => setDialog("bulk")} disabled={total === 0} data-testid="bulk-actions">
            <ListChecks size={16} aria-hidden /> Bulk action
          </Button>
          <span className={styles.count} data-testid="contact-count" aria-live="polite">
            {count.isPending ? "Counting…" : `${numberFormat.format(total)} contact${total === 1 ? "" : "s"}`}
          </span>
        </div>
      )}
      {error && <ErrorPanel title="The contacts could not be loaded" error={error} onRetry={() => void count.refetch()} />}
      {nothingAtAll && (
        <EmptyState icon={Users} title="No contacts yet" testId="contacts-empty">
          <p>
            Contacts arrive when someone signs up through a connected form or shop, when you import a CSV file, or when
            you add one by hand.
          </p>
          <p>
            Import a CSV file with an <code>email</code> column (and optionally <code>name</code>, <code>tags</code>,{" "}
            <code>status</code> and your own fields) to start.
          </p>
        </EmptyState>
      )}
      {!error && !nothingAtAll && count.data !== undefined && total === 0 && (
        <EmptyState icon={Search} title="No contacts match" testId="contacts-no-match">
          <p>Nothing matches these filters. Clear the search or choose another tag or status.</p>
          <div>
            <Button onClick={() => setFilters(defaultFilters)}>Clear filters</Button>
          </div>
        </EmptyState>
      )}
      {!nothingAtAll && total > 0 && (
        <ContactTable
          filters={filters}
          total={total}
          row={row}
          onRange={onRange}
          onSort={(s) => setFilters((f) => toggleSort(f, s))}
          now={new Date()}
        />
      )}
      {dialog === "import" && <ImportDialog onClose={() => setDialog(null)} />}
      {dialog === "add" && <ContactDialog onClose={() => setDialog(null)} />}
      {dialog === "bulk" && (
        <BulkDialog query={buildContactQuery(filters)} count={total} onClose={() => setDialog(null)} />
      )}
    </>
  );
}
