// Sizes and counts as people read them.

const units = ["bytes", "KB", "MB", "GB", "TB"];

/** 1536 → "1.5 KB"; 0 → "0 bytes". Powers of 1024, one decimal below 10. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "unknown";
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${v} ${v === 1 ? "byte" : "bytes"}`;
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** How long until `then`, seen from `now`: "in 4 min", "in 2 h", "in 3 days"; "now" once due. */
export function formatIn(then: string | Date, now: Date): string {
  const t = typeof then === "string" ? new Date(then) : then;
  if (Number.isNaN(t.getTime())) return "unknown";
  const ahead = t.getTime() - now.getTime();
  const minute = 60_000;
  if (ahead < minute) return "now";
  if (ahead < 60 * minute) return `in ${Math.round(ahead / minute)} min`;
  if (ahead < 24 * 60 * minute) return `in ${Math.round(ahead / (60 * minute))} h`;
  const days = Math.round(ahead / (24 * 60 * minute));
  return `in ${days} day${days === 1 ? "" : "s"}`;
}

/** What a source account reads, in a few words, from its settings. */
export function sourceSummary(kind: string, settings: Record<string, unknown>): string | undefined {
  const s = (k: string) => {
    const v = settings[k];
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  switch (kind) {
    case "stripe":
      return `purchases from ${s("purchases_from") ?? "checkout"} and refunds`;
    case "shopify":
      return s("shop") && `orders of ${s("shop")}`;
    case "typeform":
    case "tally":
      return s("form_id") && `responses to form ${s("form_id")}`;
    case "mailgun":
      return s("domain") && `mail events of ${s("domain")}`;
    case "thinkific":
      return s("subdomain") && `courses of ${s("subdomain")}.thinkific.com`;
    case "json_feed":
      return s("url");
    default:
      return undefined;
  }
}
