import type { ImportOutcome } from "@/api";

/** What an import did, in a sentence. */
export function describeImport(o: ImportOutcome): string {
  if (o.replaced) return `Replaced “${o.name}” with the file; it is paused.`;
  if (o.renamed_from) return `“${o.renamed_from}” exists already, so the file was imported as “${o.name}”, paused.`;
  return `Imported “${o.name}”, paused.`;
}
