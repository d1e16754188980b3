import type { Retried } from "@/api";

/** One sentence on what a retry did, for the status line under the buttons. */
export function retriedText(results: Retried[]): string {
  if (results.length === 0) return "There was no failed run to retry.";
  const done = results.filter((r) => r.retried);
  const skipped = results.filter((r) => !r.retried);
  const parts: string[] = [];
  const [only] = done;
  if (only && results.length === 1) {
    const r = only;
    parts.push(
      r.carried_on_by !== null && r.carried_on_by !== r.run_id
        ? `Restarted from the start as run ${r.carried_on_by}.`
        : "Retried from the failed step.",
    );
  } else if (done.length > 0) {
    parts.push(`${done.length} of ${results.length} runs retried.`);
  }
  for (const r of skipped) parts.push(`Run ${r.run_id} was not retried: ${r.reason ?? "no reason given"}.`);
  return parts.join(" ");
}
