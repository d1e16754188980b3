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
