import { describe, expect, it } from "vitest";

import { ApiError, IPC_ERROR, UNKNOWN_ERROR, toApiError } from "./errors";

describe("toApiError", () => {
  it("keeps the code and message a command rejected with", () => {
    const e = toApiError({ code: "newer_database", message: "update Cairn to open it" });
    expect(e).toBeInstanceOf(ApiError);
    expect(e.code).toBe("newer_database");
    expect(e.message).toBe("update Cairn to open it");
  });

  it("gives Tauri's own string rejections the ipc code", () => {
    const e = toApiError("Command list_workflows not allowed by ACL");
    expect(e.code).toBe(IPC_ERROR);
    expect(e.message).toContain("not allowed");
  });

  it("does not mistake a half-shaped object for a command error", () => {
    const e = toApiError({ code: 42, message: "x" });
    expect(e.code).toBe(UNKNOWN_ERROR);
    expect(toApiError(new TypeError("boom")).message).toBe("boom");
  });
});
