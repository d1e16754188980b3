// How the list's numbers read.

const percent = new Intl.NumberFormat("en-GB", { style: "percent", maximumFractionDigits: 0 });
const count = new Intl.NumberFormat("en-GB");

/** 0.666 → "67%"; null (no run ended yet) → "—". */
export function formatRate(rate: number | null): string {
  return rate === null ? "—" : percent.format(rate);
}

export function formatCount(n: number): string {
  return count.format(n);
}
