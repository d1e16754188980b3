// Optional keys, kept out of the draft when empty, so a saved workflow reads
// like the file the model writes (no `"filters": []`, no `"label": ""`).

/** `obj` without `key`. */
export function omit<T extends object, K extends PropertyKey>(obj: T, key: K): Omit<T, K> {
  const out = { ...obj } as Record<PropertyKey, unknown>;
  delete out[key];
  return out as Omit<T, K>;
}

/** Whether a value counts as "not set": undefined, "", or an empty list. */
export function isEmptyValue(value: unknown): boolean {
  return value === undefined || value === "" || (Array.isArray(value) && value.length === 0);
}

/** `obj` with `key` set to `value`, or without `key` when the value is empty. */
export function withOptional<T extends object>(obj: T, key: string, value: unknown): T {
  const rest = omit(obj, key) as Record<string, unknown>;
  return (isEmptyValue(value) ? rest : { ...rest, [key]: value }) as T;
}
