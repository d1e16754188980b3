import { describe, expect, it } from "vitest";

import type { Contact, FieldDef } from "@/bindings";

import { addTag, checkContactForm, checkFieldValue, formOf, toContactInput } from "./contactForm";

const defs: FieldDef[] = [
  { name: "plan", type: "text" },
  { name: "score", type: "number" },
  { name: "birthday", type: "date" },
  { name: "vip", type: "boolean" },
];

const ada: Contact = {
  id: 7,
  email: "ada@example.com",
  name: "Ada",
  status: "subscribed",
  timezone: null,
  fields: { score: 3, plan: "pro" },
  tags: ["lead", "vip"],
  is_test: false,
  created_at: "2025-03-01T09:00:00Z",
  updated_at: "2025-03-01T09:00:00Z",
};

describe("contact form", () => {
  it("checks values against their field's type", () => {
    expect(checkFieldValue("number", "4.5")).toBeUndefined();
    expect(checkFieldValue("number", "four")).toBeDefined();
    expect(checkFieldValue("date", "2025-02-30")).toBe("This date does not exist");
    expect(checkFieldValue("date", "1/2/2025")).toBe("Enter a date as YYYY-MM-DD");
    expect(checkFieldValue("date", "2024-02-29")).toBeUndefined();
    expect(checkFieldValue("boolean", "maybe")).toBeDefined();
    expect(checkFieldValue("boolean", "Yes")).toBeUndefined();
    expect(checkFieldValue("number", "  ")).toBeUndefined();
  });

  it("names each input with a problem", () => {
    const f = { ...formOf(ada), email: "ada@", fields: { score: "lots", birthday: "tomorrow" } };
    expect(Object.keys(checkContactForm(f, defs)).sort()).toEqual(["email", "field:birthday", "field:score"]);
    expect(checkContactForm(formOf(ada), defs)).toEqual({});
  });

  it("adds a tag once whatever its case", () => {
    expect(addTag(["VIP"], " vip ")).toEqual(["VIP"]);
    expect(addTag(["VIP"], " client ")).toEqual(["VIP", "client"]);
    expect(addTag([], "  ")).toEqual([]);
  });

  it("sends changed values, clears emptied ones and lists the tags taken off", () => {
    const f = formOf(ada);
    f.fields.score = "";
    f.fields.birthday = "1815-12-10";
    f.tags = ["vip", "client"];
    const { input, untag } = toContactInput(f, defs, ada);
    expect(input.fields).toEqual({ plan: "pro", score: "", birthday: "1815-12-10" });
    expect(input.tags).toEqual(["vip", "client"]);
    expect(untag).toEqual(["lead"]);
  });

  it("leaves out fields a new contact has no value for", () => {
    const { input, untag } = toContactInput(
      { email: " new@example.com ", name: "", status: "subscribed", timezone: "", fields: { plan: "basic" }, tags: [] },
      defs,
    );
    expect(input.email).toBe("new@example.com");
    expect(input.fields).toEqual({ plan: "basic" });
    expect(untag).toEqual([]);
  });
});
