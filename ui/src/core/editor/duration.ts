// Durations as people write them: "90s", "15m", "2h", "3d", "1w", or a sum
// such as "1d12h". Mirrors crates/cairn-model/src/duration.rs: the editor
// checks a typed duration before it enters the draft, and shows the
// canonical spelling (largest units first) that the file will hold.

const UNITS: [string, number][] = [
  ["w", 7 * 86_400],
  ["d", 86_400],
  ["h", 3_600],
  ["m", 60],
  ["s", 1],
];

/** Seconds in `text`, or null when it is not a duration. */
export function parseDuration(text: string): number | null {
  const t = text.trim();
  if (t === "") return null;
  if (t === "0") return 0;
  let total = 0;
  let digits = "";
  let sawUnit = false;
  for (const c of t) {
    if (c >= "0" && c <= "9") {
      digits += c;
    } else if (/\s/.test(c)) {
      continue;
    } else {
      const unit = UNITS.find(([u]) => u === c.toLowerCase());
      if (!unit || digits === "") return null;
      total += Number(digits) * unit[1];
      if (!Number.isSafeInteger(total)) return null;
      digits = "";
      sawUnit = true;
    }
  }
  if (digits !== "" || !sawUnit) return null;
  return total;
}

/** The canonical spelling of `secs`: "1d12h", "0s" for zero (as Rust writes it). */
export function formatDuration(secs: number): string {
  if (secs <= 0) return "0s";
  let rest = Math.floor(secs);
  let out = "";
  for (const [u, n] of UNITS) {
    if (rest >= n) {
      out += `${Math.floor(rest / n)}${u}`;
      rest %= n;
    }
  }
  return out;
}

/** "1d12h" → "1 day 12 hours", for summaries on the canvas. */
export function describeDuration(text: string): string {
  const secs = parseDuration(text);
  if (secs === null) return text;
  if (secs === 0) return "no time";
  const names: Record<string, [string, string]> = {
    w: ["week", "weeks"],
    d: ["day", "days"],
    h: ["hour", "hours"],
    m: ["minute", "minutes"],
    s: ["second", "seconds"],
  };
  const parts: string[] = [];
  let rest = secs;
  for (const [u, n] of UNITS) {
    if (rest >= n) {
      const count = Math.floor(rest / n);
      const name = names[u]!;
      parts.push(`${count} ${count === 1 ? name[0] : name[1]}`);
      rest %= n;
    }
  }
  return parts.join(" ");
}
