// From what the user set on the Contacts screen (search box, tag and status
// filters, sort) to the store's ContactQuery, and to a stable cache key so
// that a page loaded for one filter is never shown under another.

import type { ContactQuery, ContactSort, ContactStatus } from "@/bindings";

export const CONTACT_SORTS: readonly { value: ContactSort; label: string }[] = [
  { value: "created", label: "Date added" },
  { value: "email", label: "Email" },
  { value: "name", label: "Name" },
  { value: "status", label: "Status" },
];

export const CONTACT_STATUSES: readonly ContactStatus[] = ["subscribed", "unsubscribed", "bounced"];

/** The filters of the Contacts screen, as the controls hold them. */
export type ContactFilters = {
  search: string;
  /** "" for every tag. */
  tag: string;
  /** "" for every status. */
  status: ContactStatus | "";
  sort: ContactSort;
  descending: boolean;
};

export const defaultFilters: ContactFilters = {
  search: "",
  tag: "",
  status: "",
  sort: "created",
  descending: true,
};

/** The query for one page (or, without paging, for the count). */
export function buildContactQuery(
  f: ContactFilters,
  page?: { offset: number; limit: number },
): ContactQuery {
  const search = f.search.trim();
  return {
    search: search === "" ? null : search,
    tag: f.tag === "" ? null : f.tag,
    status: f.status === "" ? null : f.status,
    sort: f.sort,
    descending: f.descending,
    limit: page?.limit ?? null,
    offset: page?.offset ?? null,
  };
}

/** A key equal for equal filters (whitespace around the search ignored). */
export function filtersKey(f: ContactFilters): string {
  const q = buildContactQuery(f);
  return JSON.stringify([q.search, q.tag, q.status, q.sort, q.descending]);
}

/** Whether any filter narrows the list (for "no contacts match" vs "no contacts yet"). */
export function isFiltered(f: ContactFilters): boolean {
  return f.search.trim() !== "" || f.tag !== "" || f.status !== "";
}

/** Clicking a column header: the same column flips the order, another starts ascending. */
export function toggleSort(f: ContactFilters, sort: ContactSort): ContactFilters {
  if (f.sort === sort) return { ...f, descending: !f.descending };
  return { ...f, sort, descending: sort === "created" };
}
