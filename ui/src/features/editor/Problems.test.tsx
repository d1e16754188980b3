import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { Problems } from "./Problems";

afterEach(cleanup);

const none = { problems: [], errors: 0, warnings: 0, failure: null, open: true, onToggle: () => {}, onJump: () => {} };

describe("Problems", () => {
  it("claims no problems only once the check has answered", () => {
    const { rerender } = render(<Problems {...none} checking />);
    expect(screen.getByTestId("problems-checking").textContent).toContain("Checking");
    expect(screen.queryByText(/No problems found/)).toBeNull();
    expect(screen.queryByText(/Ready to activate/)).toBeNull();

    rerender(<Problems {...none} checking={false} />);
    expect(screen.getByText(/No problems found/)).toBeTruthy();
    expect(screen.getByText(/Ready to activate/)).toBeTruthy();
  });
});
