import { describe, expect, it } from "vitest";

import { buildContactQuery, defaultFilters, filtersKey, isFiltered, toggleSort } from "./contactQuery";

describe("contact queries", () => {
  it("leaves out empty filters and trims the search", () => {
    expect(buildContactQuery({ ...defaultFilters, search: "  ada " })).toEqual({
      search: "ada",
      tag: null,
      status: null,
      sort: "created",
      descending: true,
      limit: null,
      offset: null,
    });
  });

  it("carries a tag, a status and a page", () => {
    const q = buildContactQuery(
      { search: "", tag: "vip", status: "bounced", sort: "email", descending: false },
      { offset: 300, limit: 100 },
    );
    expect(q).toMatchObject({ tag: "vip", status: "bounced", sort: "email", descending: false, offset: 300, limit: 100 });
    expect(q.search).toBeNull();
  });

  it("keys equal filters equally and different filters differently", () => {
    expect(filtersKey({ ...defaultFilters, search: "ada" })).toBe(filtersKey({ ...defaultFilters, search: " ada  " }));
    expect(filtersKey({ ...defaultFilters, tag: "vip" })).not.toBe(filtersKey(defaultFilters));
    expect(filtersKey({ ...defaultFilters, descending: false })).not.toBe(filtersKey(defaultFilters));
  });

  it("knows when the list is narrowed", () => {
    expect(isFiltered(defaultFilters)).toBe(false);
    expect(isFiltered({ ...defaultFilters, search: "  " })).toBe(false);
    expect(isFiltered({ ...defaultFilters, status: "subscribed" })).toBe(true);
  });

  it("flips the order on the same column and starts a new column ascending", () => {
    const byEmail = toggleSort(defaultFilters, "email");
    expect(byEmail).toMatchObject({ sort: "email", descending: false });
    expect(toggleSort(byEmail, "email")).toMatchObject({ sort: "email", descending: true });
    expect(toggleSort(byEmail, "created")).toMatchObject({ sort: "created", descending: true });
  });
});
