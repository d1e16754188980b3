import { useVirtualizer } from "@tanstack/react-virtual";
import { ArrowDown, ArrowUp } from "lucide-react";
import { useEffect, useRef } from "react";
import { useNavigate } from "react-router";

import type { Contact, ContactSort } from "@/api";
import { Badge } from "@/components";
import { type ContactFilters, filtersKey } from "@/core/contactQuery";
import { formatRelative } from "@/core/time";

import styles from "./Contacts.module.css";
import { statusTone } from "./status";

const ROW_HEIGHT = 44;

type Props = {
  filters: ContactFilters;
  total: number;
  row: (index: number) => Contact | undefined;
  onRange: (first: number, last: number) => void;
  onSort: (sort: ContactSort) => void;
  now: Date;
};

const columns: { label: string; sort?: ContactSort; className: string }[] = [
  { label: "Email", sort: "email", className: styles.colEmail ?? "" },
  { label: "Name", sort: "name", className: styles.colName ?? "" },
  { label: "Status", sort: "status", className: styles.colStatus ?? "" },
  { label: "Tags", className: styles.colTags ?? "" },
  { label: "Added", sort: "created", className: styles.colAdded ?? "" },
];

/**
 * The contacts as a virtualized table: only the rows in view exist in the
 * page, and only their pages are loaded, so 100,000 contacts scroll as
 * smoothly as 100. A row whose page is still loading shows a placeholder.
 */
export function ContactTable({ filters, total, row, onRange, onSort, now }: Props) {
  const parent = useRef<HTMLDivElement>(null);
  const navigate = useNavigate();
  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => parent.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;
  useEffect(() => onRange(first, last), [first, last, onRange]);

  // New filters: back to the top.
  const key = filtersKey(filters);
  useEffect(() => {
    parent.current?.scrollTo({ top: 0 });
  }, [key]);

  return (
    <div className={styles.table} role="table" aria-rowcount={total} data-testid="contact-table">
      <div className={styles.head} role="row">
        {columns.map((c) => (
          <div key={c.label} role="columnheader" className={c.className}>
            {c.sort ? (
              <button
                type="button"
                className={styles.sortButton}
                onClick={() => c.sort && onSort(c.sort)}
                aria-sort={filters.sort === c.sort ? (filters.descending ? "descending" : "ascending") : "none"}
                data-testid={`sort-${c.sort}`}
              >
                {c.label}
                {filters.sort === c.sort &&
                  (filters.descending ? <ArrowDown size={12} aria-hidden /> : <ArrowUp size={12} aria-hidden />)}
              </button>
            ) : (
              c.label
            )}
          </div>
        ))}
      </div>
      <div
        ref={parent}
        className={styles.scroller}
        style={{ height: total * ROW_HEIGHT }}
        data-testid="contact-scroller"
      >
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {items.map((item) => {
            const c = row(item.index);
            return (
              <div
                key={item.key}
                role="row"
                aria-rowindex={item.index + 1}
                className={`${styles.row} ${c ? "" : styles.loadingRow}`}
                style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                data-testid={c ? "contact-row" : "contact-row-loading"}
                data-index={item.index}
                tabIndex={c ? 0 : -1}
                onClick={() => {
                  if (c) void navigate(`/contacts/${c.id}`);
                }}
                onKeyDown={(e) => {
                  if (c && e.key === "Enter") void navigate(`/contacts/${c.id}`);
                }}
              >
                {c ? (
                  <>
                    <div className={styles.colEmail} data-testid="contact-email">
                      {c.email}
                    </div>
                    <div className={styles.colName}>{c.name ?? <span className={styles.muted}>—</span>}</div>
                    <div className={styles.colStatus}>
                      <Badge tone={statusTone[c.status]} label={c.status} />
                    </div>
                    <div className={styles.colTags}>
                      {c.tags.slice(0, 3).map((t) => (
                        <span key={t} className={styles.tag}>
                          {t}
                        </span>
                      ))}
                      {c.tags.length > 3 && <span className={styles.muted}>+{c.tags.length - 3}</span>}
                    </div>
                    <div className={`${styles.colAdded} ${styles.muted}`} title={c.created_at}>
                      {formatRelative(c.created_at, now)}
                    </div>
                  </>
                ) : (
                  <div className={styles.placeholder} aria-label="Loading" />
                )}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
