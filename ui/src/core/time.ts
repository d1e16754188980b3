// Time as people read it. Pure functions: "now" is always an argument, so
// the same input gives the same text in a test and in the app.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const dateFormat = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric" });

/**
 * How long ago `then` was, seen from `now`: "just now", "5 min ago",
 * "3 h ago", "yesterday", "4 days ago", then the date ("12 Mar 2025").
 * An instant in the future (a clock set back) reads "just now", not a
 * negative age. An unreadable instant yields "unknown".
 */
export function formatRelative(then: string | Date, now: Date): string {
  const t = typeof then === "string" ? new Date(then) : then;
  if (Number.isNaN(t.getTime())) return "unknown";
  const age = now.getTime() - t.getTime();
  if (age < MINUTE) return "just now";
  if (age < HOUR) return `${Math.floor(age / MINUTE)} min ago`;
  if (age < DAY) return `${Math.floor(age / HOUR)} h ago`;
  if (age < 2 * DAY) return "yesterday";
  if (age < 7 * DAY) return `${Math.floor(age / DAY)} days ago`;
  return dateFormat.format(t);
}
