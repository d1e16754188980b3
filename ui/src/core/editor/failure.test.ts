import { describe, expect, it } from "vitest";

import { accountOf, channelOf, withChannel, withStartWorkflow } from "./failure";

describe("the error path setting", () => {
  it("adds, changes and removes one notice per kind", () => {
    let f = withChannel(undefined, "desktop", "");
    expect(f).toEqual({ notify: ["desktop"] });
    f = withChannel(f, "slack", "Team");
    f = withChannel(f, "slack", "Ops");
    expect(f).toEqual({ notify: ["desktop", { slack: { account: "Ops" } }] });
    expect(accountOf(channelOf(f, "slack"))).toBe("Ops");
    expect(channelOf(f, "email_owner")).toBeUndefined();
    f = withChannel(f, "desktop", null);
    f = withChannel(f, "slack", null);
    expect(f).toBeUndefined();
  });

  it("sets and clears the workflow to start, keeping the notices", () => {
    const f = withStartWorkflow({ notify: ["desktop"] }, "Follow-up");
    expect(f).toEqual({ notify: ["desktop"], start_workflow: "Follow-up" });
    expect(withStartWorkflow(f, "")).toEqual({ notify: ["desktop"] });
    expect(withStartWorkflow(undefined, "")).toBeUndefined();
  });
});
