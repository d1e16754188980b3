// Time zones and weekdays for the pickers.

import type { Weekday } from "@/bindings";

/** Every IANA time zone the platform knows, "UTC" first. */
export function timezoneNames(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const known = typeof intl.supportedValuesOf === "function" ? intl.supportedValuesOf("timeZone") : [];
  const rest = known.filter((z) => z !== "UTC").sort();
  return ["UTC", ...rest];
}

export const WEEKDAYS: { day: Weekday; short: string; long: string }[] = [
  { day: "mon", short: "Mo", long: "Monday" },
  { day: "tue", short: "Tu", long: "Tuesday" },
  { day: "wed", short: "We", long: "Wednesday" },
  { day: "thu", short: "Th", long: "Thursday" },
  { day: "fri", short: "Fr", long: "Friday" },
  { day: "sat", short: "Sa", long: "Saturday" },
  { day: "sun", short: "Su", long: "Sunday" },
];

/** Weekdays in calendar order, whatever order they were picked in. */
export function sortWeekdays(days: readonly Weekday[]): Weekday[] {
  const order = WEEKDAYS.map((w) => w.day);
  return [...new Set(days)].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

/** "09:00" ✓, "9:00" ✓, "24:00" ✗ — as the model reads a time of day. */
export function isTimeOfDay(text: string): boolean {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  return m !== null && Number(m[1]) < 24 && Number(m[2]) < 60;
}
