// Comparing drafts: JSON with object keys sorted, so two drafts that hold
// the same values compare equal however their keys were ordered.

export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** Whether two JSON-like values hold the same data (undefined keys ignored). */
export function sameData(a: unknown, b: unknown): boolean {
  return a === b || stableStringify(a) === stableStringify(b);
}
