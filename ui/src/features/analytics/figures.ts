// The wording of the figures: rates, durations, money and the range picker's
// choices. Plain functions, so each rule is tested on its own.

/** The range picker's choices: the last N days, or all time (`null`). */
export const RANGES = [
  { days: 7, label: "7 days" },
  { days: 30, label: "30 days" },
  { days: 90, label: "90 days" },
  { days: null, label: "All time" },
] as const;

export type RangeDays = (typeof RANGES)[number]["days"];

/** The range in the address (`?range=7|30|90|all`); 30 days when absent or unknown. */
export function rangeFromParam(value: string | null): RangeDays {
  if (value === "all") return null;
  const found = RANGES.find((r) => r.days !== null && String(r.days) === value);
  return found ? found.days : 30;
}

export function rangeParam(days: RangeDays): string {
  return days === null ? "all" : String(days);
}

/** A rate as a percentage with one decimal ("66.7 %"); a dash when there is none. */
export function percent(rate: number | null): string {
  if (rate === null) return "–";
  return `${(rate * 100).toFixed(1)} %`;
}

/** A duration in its largest unit and the next one: "3d 1h", "2h 5m", "1d", "45s". */
export function duration(secs: number): string {
  const sizes: [string, number][] = [
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ];
  const s = Math.round(secs);
  const i = sizes.findIndex(([, size]) => s >= size);
  const top = sizes[i];
  if (!top) return "0s";
  const [unit, size] = top;
  const whole = Math.floor(s / size);
  const next = sizes[i + 1];
  const part = next ? Math.floor((s - whole * size) / next[1]) : 0;
  return part > 0 && next ? `${whole}${unit} ${part}${next[0]}` : `${whole}${unit}`;
}

/** A count or an average, in the app's number style ("1,204", "0.43"). */
export function count(n: number, digits = 0): string {
  return n.toLocaleString("en-GB", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** An amount of money in the rate's own (unnamed) currency: "2.00". */
export function money(n: number): string {
  return count(n, 2);
}

/** A day of the series for the chart's axis: "5 Jan". */
export function shortDate(date: string): string {
  const [y = 1970, m = 1, d = 1] = date.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
}

/** The range as a sentence ("5 Jan 2026 – 10 Jan 2026"), in the user's zone. */
export function rangeText(since: string, until: string): string {
  const f = (t: string) => new Date(t).toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" });
  return `${f(since)} – ${f(until)}`;
}
