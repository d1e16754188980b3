// Words for what happens while Cairn runs in the background: the wake
// notice, retention and the error-rate threshold.
// Plain functions (time spans come in as seconds).

/** "3 h", "1 h 30 min", "2 d 4 h", "45 min" (as the engine writes them). */
export function humanSpan(secs: number): string {
  const s = Math.max(0, Math.floor(secs));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  if (d === 0 && h === 0) return `${m} min`;
  if (d === 0) return m === 0 ? `${h} h` : `${h} h ${m} min`;
  return h === 0 ? `${d} d` : `${d} d ${h} h`;
}

/** The notice after the laptop slept: "Cairn was asleep for 8 h; 3 waits fired late." */
export function wakeNotice(gapSecs: number, lateWaits: number): string {
  const asleep = `Cairn was asleep for ${humanSpan(gapSecs)}`;
  if (lateWaits === 0) return `${asleep}; no wait fell due meanwhile.`;
  const waits = lateWaits === 1 ? "1 wait" : `${lateWaits} waits`;
  return `${asleep}; ${waits} fired late. Each late step says by how much.`;
}

/** "90 days", or "forever" for 0. */
export function retentionText(days: number): string {
  if (days === 0) return "forever";
  return days === 1 ? "1 day" : `${days} days`;
}

/** A retention typed by the user: a whole number of days, 0 to 36500. */
export function parseRetention(text: string): number | null {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return n <= 36_500 ? n : null;
}

/** A threshold typed as a percentage ("5" or "2.5") as a share (0.05); null when out of (0, 100]. */
export function parsePercent(text: string): number | null {
  const t = text.trim().replace(",", ".");
  if (!/^\d+(\.\d+)?$/.test(t)) return null;
  const n = Number(t);
  if (!(n > 0 && n <= 100)) return null;
  return Math.round(n * 1000) / 100_000;
}

/** 0.05 → "5", 0.025 → "2.5". */
export function percentOf(share: number): string {
  return String(Math.round(share * 100_000) / 1000);
}
