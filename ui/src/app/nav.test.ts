import { describe, expect, it } from "vitest";

import { mainNav } from "./nav";

// The built-in templates, read from the files the Rust core embeds.
const files = import.meta.glob<string>("../../../assets/templates/*.json", {
  eager: true,
  query: "?raw",
  import: "default",
});
const templateNames = Object.values(files).map((text) =>
  (JSON.parse(text) as { name: string }).name.toLowerCase(),
);

describe("navigation", () => {
  it("the Templates entry names only templates that exist", () => {
    expect(templateNames).toHaveLength(8);
    const purpose = mainNav.find((i) => i.path === "/templates")!.purpose;
    const list = /\(([^)]*)\)/.exec(purpose)?.[1] ?? "";
    const named = list.split(",").map((s) => s.trim().toLowerCase());
    expect(list).not.toBe("");
    for (const n of named) {
      expect(templateNames.some((t) => t.startsWith(n)), `no template named like "${n}"`).toBe(true);
    }
  });
});
