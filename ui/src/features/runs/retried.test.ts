import { describe, expect, it } from "vitest";

import { retriedText } from "./retried";

describe("retriedText", () => {
  it("says what one retry did", () => {
    expect(retriedText([{ run_id: 4, retried: true, carried_on_by: 4, reason: null }])).toBe(
      "Retried from the failed step.",
    );
    expect(retriedText([{ run_id: 4, retried: true, carried_on_by: 9, reason: null }])).toBe(
      "Restarted from the start as run 9.",
    );
  });

  it("counts a bulk retry and names what it skipped", () => {
    expect(
      retriedText([
        { run_id: 1, retried: true, carried_on_by: 1, reason: null },
        { run_id: 2, retried: false, carried_on_by: null, reason: "it was already restarted as run 5" },
      ]),
    ).toBe("1 of 2 runs retried. Run 2 was not retried: it was already restarted as run 5.");
    expect(retriedText([])).toBe("There was no failed run to retry.");
  });
});
