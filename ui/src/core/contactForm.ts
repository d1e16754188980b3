// The contact form: from a stored contact to what the inputs hold, checks
// a person can act on before anything is sent, and back to the store's
// ContactInput (plus the tags to take off).

import type { Contact, ContactInput, ContactStatus, FieldDef, FieldType } from "@/bindings";

export type ContactForm = {
  email: string;
  name: string;
  status: ContactStatus;
  timezone: string;
  /** Custom field values as typed, by field name ("" = no value). */
  fields: Record<string, string>;
  tags: string[];
};

export const emptyContactForm: ContactForm = {
  email: "",
  name: "",
  status: "subscribed",
  timezone: "",
  fields: {},
  tags: [],
};

/** A stored value as the input shows it. */
export function fieldText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

export function formOf(c: Contact): ContactForm {
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.fields)) fields[k] = fieldText(v);
  return {
    email: c.email,
    name: c.name ?? "",
    status: c.status,
    timezone: c.timezone ?? "",
    fields,
    tags: [...c.tags],
  };
}

/** Why a typed value does not fit its field's type, or undefined. */
export function checkFieldValue(type: FieldType, raw: string): string | undefined {
  const t = raw.trim();
  if (t === "") return undefined;
  switch (type) {
    case "text":
      return undefined;
    case "number":
      return Number.isFinite(Number(t)) ? undefined : "Enter a number, such as 42 or 9.5";
    case "date": {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
      if (!m) return "Enter a date as YYYY-MM-DD";
      const d = new Date(`${t}T00:00:00Z`);
      return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== t ? "This date does not exist" : undefined;
    }
    case "boolean":
      return ["true", "false", "yes", "no", "1", "0", "y", "n"].includes(t.toLowerCase())
        ? undefined
        : "Choose yes or no";
  }
}

/** A plausible email: something@something.something, no spaces. The store checks fully. */
export function checkEmail(raw: string): string | undefined {
  const t = raw.trim();
  if (t === "") return "An email is required";
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(t) ? undefined : "This does not look like an email address";
}

/** Every problem with the form, by input name ("email", "field:plan"); empty when it can be sent. */
export function checkContactForm(f: ContactForm, defs: readonly FieldDef[]): Record<string, string> {
  const problems: Record<string, string> = {};
  const email = checkEmail(f.email);
  if (email) problems.email = email;
  for (const def of defs) {
    const p = checkFieldValue(def.type, f.fields[def.name] ?? "");
    if (p) problems[`field:${def.name}`] = p;
  }
  return problems;
}

/** Adds a tag typed by the user (trimmed; case-insensitively once). */
export function addTag(tags: readonly string[], tag: string): string[] {
  const t = tag.trim();
  if (t === "" || tags.some((x) => x.toLowerCase() === t.toLowerCase())) return [...tags];
  return [...tags, t];
}

/**
 * What to send: the ContactInput (every declared field, "" clearing a value
 * the contact had) and, for an edit, the tags the user took off.
 */
export function toContactInput(
  f: ContactForm,
  defs: readonly FieldDef[],
  before?: Contact,
): { input: ContactInput; untag: string[] } {
  const fields: Record<string, string> = {};
  for (const def of defs) {
    const v = (f.fields[def.name] ?? "").trim();
    const had = before ? fieldText(before.fields[def.name]) !== "" : false;
    if (v !== "" || had) fields[def.name] = v;
  }
  const untag = before
    ? before.tags.filter((t) => !f.tags.some((x) => x.toLowerCase() === t.toLowerCase()))
    : [];
  return {
    input: {
      email: f.email.trim(),
      name: f.name.trim(),
      status: f.status,
      timezone: f.timezone.trim(),
      fields,
      tags: f.tags,
      is_test: before?.is_test ?? false,
    },
    untag,
  };
}
