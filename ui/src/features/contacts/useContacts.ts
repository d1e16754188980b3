import { useQueries, useQuery, useQueryClient } from "@tanstack/react-query";

import { contactsApi, queryKeys, toApiError } from "@/api";
import type { ApiError, Contact } from "@/api";
import { type ContactFilters, buildContactQuery, filtersKey } from "@/core/contactQuery";
import { pageBounds, pagesToLoad, rowAt } from "@/core/paging";

/** Every cached contact query starts with this key; invalidate it after a write. */

/**
 * The contacts matching `filters`, paged: the count, and the pages covering
 * rows `first`..`last` (what the virtualized table shows) plus a margin.
 * Pages out of view are dropped from the cache after a minute.
 */
export function useContactPages(filters: ContactFilters, first: number, last: number) {
  const key = filtersKey(filters);
  const count = useQuery<number, ApiError>({
    queryKey: queryKeys.contacts.count(key),
    queryFn: () => contactsApi.count(buildContactQuery(filters)),
  });
  const total = count.data ?? 0;
  const pages = pagesToLoad(first, last, total);
  const results = useQueries({
    queries: pages.map((p) => ({
      queryKey: queryKeys.contacts.page(key, p),
      queryFn: () => contactsApi.list(buildContactQuery(filters, pageBounds(p))),
      staleTime: 30_000,
      gcTime: 60_000,
    })),
  });
  const loaded = new Map<number, Contact[]>();
  results.forEach((r, i) => {
    const p = pages[i];
    if (p !== undefined && r.data) loaded.set(p, r.data);
  });
  const pageError = results.find((r) => r.error)?.error;
  return {
    count,
    total,
    row: (index: number) => rowAt(loaded, index),
    error: count.error ?? (pageError ? toApiError(pageError) : null),
  };
}

export function useTags() {
  return useQuery<string[], ApiError>({ queryKey: queryKeys.contacts.tags, queryFn: contactsApi.tags });
}

export function useFields() {
  return useQuery({ queryKey: queryKeys.contacts.fields, queryFn: contactsApi.fields });
}

/** Forgets every contact query (after an import, an add or an edit). */
export function useRefreshContacts() {
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: queryKeys.contacts.all });
}
