import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { Contact, ErasureReport } from "@/api";

import { EraseDialog } from "./EraseDialog";
import { consentLine } from "./privacyText";

const ada: Contact = {
  id: 7,
  email: "ada@example.com",
  name: "Ada",
  status: "subscribed",
  timezone: null,
  fields: {},
  tags: ["vip"],
  is_test: false,
  created_at: "2026-01-05T09:00:00Z",
  updated_at: "2026-01-05T09:00:00Z",
};

const preview: ErasureReport = {
  fields: 2,
  tags: 1,
  deals: 1,
  courses: 0,
  events: 14,
  runs: 3,
  runs_ended: 1,
  sends_cancelled: 1,
  messages: 2,
  wal_cleared: false,
};

afterEach(() => clearMocks());

function renderDialog(onErased = () => {}, onClose = () => {}) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <EraseDialog contact={ada} onClose={onClose} onErased={onErased} />
    </QueryClientProvider>,
  );
}

describe("EraseDialog", () => {
  it("says what goes before erasing anything, and erases only on confirmation", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "erasure_preview") return preview;
      if (cmd === "erase_contact") return { ...preview, wal_cleared: true };
      throw new Error(`unexpected ${cmd}`);
    });
    const onErased = vi.fn();
    renderDialog(onErased);

    const summary = await screen.findByTestId("erase-summary");
    expect(summary).toHaveTextContent("2 field values");
    expect(summary).toHaveTextContent("1 deal");
    expect(summary).toHaveTextContent("what 14 events recorded about them");
    expect(summary).toHaveTextContent('1 open run ends as exited ("contact erased")');
    expect(summary).toHaveTextContent("1 pending send is cancelled");
    expect(calls.map((c) => c.cmd)).toEqual(["erasure_preview"]);

    await userEvent.click(screen.getByTestId("erase-confirm"));
    await vi.waitFor(() => expect(onErased).toHaveBeenCalledTimes(1));
    expect(calls.filter((c) => c.cmd === "erase_contact")).toEqual([
      { cmd: "erase_contact", args: { contactId: 7 } },
    ]);
  });

  it("erases nothing when cancelled", async () => {
    const cmds: string[] = [];
    mockIPC((cmd) => {
      cmds.push(cmd);
      if (cmd === "erasure_preview") return preview;
      throw new Error(`unexpected ${cmd}`);
    });
    const onClose = vi.fn();
    renderDialog(() => {}, onClose);
    await screen.findByTestId("erase-summary");
    await userEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(cmds).not.toContain("erase_contact");
  });
});

describe("consentLine", () => {
  it("names how a status came about", () => {
    expect(consentLine({ status: "subscribed", via: "import", detail: "kit.csv", at: "2026-01-05T09:00:00Z" })).toBe(
      "subscribed · CSV import (kit.csv)",
    );
    expect(consentLine({ status: "unsubscribed", via: "unsubscribe_link", detail: null, at: "2026-01-05T09:00:00Z" })).toBe(
      "unsubscribed · unsubscribe link",
    );
  });
});
