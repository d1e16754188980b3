// Paging maths for long virtualized lists (100,000 contacts).
//
// The list never loads all its rows: it knows the total count, and asks the
// store for fixed-size pages (offset + limit) covering what is on screen plus
// a margin. These functions say which pages that is and where a row lives.

/** Rows per page asked of the store at once. */
export const PAGE_SIZE = 100;

/** The store's offset and limit of page `page`. */
export function pageBounds(page: number, pageSize = PAGE_SIZE): { offset: number; limit: number } {
  return { offset: page * pageSize, limit: pageSize };
}

/** The page holding row `index` (0-based). */
export function pageOf(index: number, pageSize = PAGE_SIZE): number {
  return Math.floor(Math.max(0, index) / pageSize);
}

/** How many pages `total` rows fill. */
export function pageCount(total: number, pageSize = PAGE_SIZE): number {
  return total <= 0 ? 0 : Math.ceil(total / pageSize);
}

/**
 * The pages to have loaded for rows `first`..`last` (inclusive, as the
 * virtualizer reports them) with `margin` extra pages on each side,
 * clipped to the pages that exist. Empty when there are no rows.
 */
export function pagesToLoad(
  first: number,
  last: number,
  total: number,
  margin = 1,
  pageSize = PAGE_SIZE,
): number[] {
  const count = pageCount(total, pageSize);
  if (count === 0 || last < first) return [];
  const from = Math.min(count - 1, Math.max(0, pageOf(first, pageSize) - margin));
  const to = Math.min(count - 1, pageOf(Math.min(last, total - 1), pageSize) + margin);
  const pages: number[] = [];
  for (let p = from; p <= to; p++) pages.push(p);
  return pages;
}

/** Row `index` out of loaded pages, or undefined while its page is loading. */
export function rowAt<T>(
  pages: ReadonlyMap<number, readonly T[]>,
  index: number,
  pageSize = PAGE_SIZE,
): T | undefined {
  return pages.get(pageOf(index, pageSize))?.[index % pageSize];
}

/**
 * The pages to forget so that at most `keep` stay in memory: the ones
 * farthest from the pages wanted now. Scrolling from top to bottom of
 * 100,000 rows must not keep 1,000 pages alive.
 */
export function pagesToEvict(loaded: Iterable<number>, wanted: readonly number[], keep: number): number[] {
  const all = [...loaded];
  if (all.length <= keep || wanted.length === 0) return [];
  const lo = Math.min(...wanted);
  const hi = Math.max(...wanted);
  const distance = (p: number) => (p < lo ? lo - p : p > hi ? p - hi : 0);
  return all
    .filter((p) => distance(p) > 0)
    .sort((a, b) => distance(b) - distance(a))
    .slice(0, all.length - keep);
}
