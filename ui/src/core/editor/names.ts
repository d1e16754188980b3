// What a workflow can refer to by name, for the inspector's pickers: what
// exists in the database (the catalog) plus what the workflow brings along
// itself (requires.fields / pipelines / courses, the tags it adds), the way
// validation counts them.

import type { AccountKind, CatalogNames, FieldType, WorkflowDef } from "@/bindings";

/** Fields every contact has (crates/cairn-model BUILTIN_FIELDS). */
export const BUILTIN_FIELDS = ["email", "name", "first_name", "status", "timezone", "tags"] as const;

export type FieldChoice = { name: string; type: FieldType | "builtin" };

export type Names = {
  tags: string[];
  fields: FieldChoice[];
  accounts: { name: string; kind: AccountKind }[];
  pipelines: { name: string; stages: string[] }[];
  courses: string[];
  /** Other workflows (not this one). */
  workflows: string[];
  templates: string[];
};

const byName = (a: string, b: string) => a.localeCompare(b, "en", { sensitivity: "base" });

function uniq(list: string[]): string[] {
  const seen = new Set<string>();
  return list.filter((x) => {
    const k = x.trim().toLowerCase();
    if (!k || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function namesFor(def: WorkflowDef, catalog: CatalogNames | undefined, originalName?: string): Names {
  const c: CatalogNames = catalog ?? { tags: [], fields: [], accounts: [], pipelines: [], courses: [], workflows: [] };
  const added = def.nodes.flatMap((n) => (n.kind === "action.add_tag" && n.config.tag.trim() ? [n.config.tag] : []));
  const fields: FieldChoice[] = [
    ...BUILTIN_FIELDS.map((name) => ({ name, type: "builtin" as const })),
    ...c.fields.map((f) => ({ name: f.name, type: f.type })),
  ];
  for (const f of def.requires?.fields ?? []) {
    if (!fields.some((x) => x.name.toLowerCase() === f.name.toLowerCase())) fields.push({ name: f.name, type: f.type });
  }
  const pipelines = [...c.pipelines];
  for (const p of def.requires?.pipelines ?? []) {
    if (!pipelines.some((x) => x.name.toLowerCase() === p.name.toLowerCase())) pipelines.push(p);
  }
  const self = new Set([def.name.trim().toLowerCase(), (originalName ?? "").trim().toLowerCase()]);
  return {
    tags: uniq([...c.tags, ...added]).sort(byName),
    fields,
    accounts: c.accounts,
    pipelines: pipelines.sort((a, b) => byName(a.name, b.name)),
    courses: uniq([...c.courses, ...(def.requires?.courses ?? [])]).sort(byName),
    workflows: c.workflows.filter((w) => !self.has(w.trim().toLowerCase())),
    templates: (def.email_templates ?? []).map((t) => t.name),
  };
}

export function accountsOfKind(names: Names, kinds: readonly AccountKind[]): string[] {
  return names.accounts.filter((a) => kinds.includes(a.kind)).map((a) => a.name);
}
