import { describe, expect, it } from "vitest";

import { formatBytes, formatIn, sourceSummary } from "./format";

describe("formatBytes", () => {
  it("reads like a file manager", () => {
    expect(formatBytes(0)).toBe("0 bytes");
    expect(formatBytes(1)).toBe("1 byte");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(52 * 1024 * 1024)).toBe("52 MB");
    expect(formatBytes(-1)).toBe("unknown");
  });
});

describe("formatIn", () => {
  const now = new Date("2025-03-01T09:00:00Z");
  it("counts down to a future instant", () => {
    expect(formatIn("2025-03-01T09:00:30Z", now)).toBe("now");
    expect(formatIn("2025-03-01T08:00:00Z", now)).toBe("now");
    expect(formatIn("2025-03-01T09:05:00Z", now)).toBe("in 5 min");
    expect(formatIn("2025-03-01T12:00:00Z", now)).toBe("in 3 h");
    expect(formatIn("2025-03-02T09:00:00Z", now)).toBe("in 1 day");
    expect(formatIn("nonsense", now)).toBe("unknown");
  });
});

describe("sourceSummary", () => {
  it("says what each source reads", () => {
    expect(sourceSummary("shopify", { shop: "my-store.myshopify.com" })).toBe("orders of my-store.myshopify.com");
    expect(sourceSummary("json_feed", { url: "https://x.test/feed" })).toBe("https://x.test/feed");
    expect(sourceSummary("stripe", {})).toBe("purchases from checkout and refunds");
    expect(sourceSummary("smtp", { host: "x" })).toBeUndefined();
  });
});
