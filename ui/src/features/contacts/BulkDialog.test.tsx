import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import type { ContactQuery } from "@/api";

import { BulkDialog } from "./BulkDialog";

const query: ContactQuery = {
  search: null,
  tag: "lead",
  status: null,
  sort: "created",
  descending: true,
  limit: null,
  offset: null,
};

afterEach(() => {
  clearMocks();
  window.__cairnPickedPaths = undefined;
});

function renderDialog(count = 1234) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <BulkDialog query={query} count={count} onClose={() => {}} />
    </QueryClientProvider>,
  );
}

describe("BulkDialog", () => {
  it("shows the count, needs a tag, and tags the filtered contacts on confirmation", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "bulk_contacts") return { selected: 1234, changed: 1200 };
      throw new Error(`unexpected ${cmd}`);
    });
    renderDialog();
    expect(screen.getByTestId("bulk-dialog")).toHaveTextContent("Applies to the 1,234 contacts matching");
    expect(screen.getByTestId("bulk-confirm")).toBeDisabled();
    await userEvent.type(screen.getByTestId("bulk-tag"), "q1");
    expect(screen.getByTestId("bulk-confirm")).toHaveTextContent('Tag 1,234 contacts "q1"');
    expect(calls).toEqual([]);
    await userEvent.click(screen.getByTestId("bulk-confirm"));
    expect(await screen.findByTestId("bulk-done")).toHaveTextContent("1,200 of 1,234 contacts changed");
    expect(calls).toEqual([{ cmd: "bulk_contacts", args: { query, action: { action: "tag", tag: "q1" } } }]);
  });

  it("warns before erasing and exports CSV to the chosen file", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "export_contacts_csv") return 2;
      throw new Error(`unexpected ${cmd}`);
    });
    renderDialog(2);
    await userEvent.selectOptions(screen.getByTestId("bulk-action"), "erase");
    expect(screen.getByTestId("bulk-erase-warning")).toHaveTextContent("cannot be undone");
    expect(screen.getByTestId("bulk-confirm")).toHaveTextContent("Erase 2 contacts for good");
    await userEvent.selectOptions(screen.getByTestId("bulk-action"), "export");
    window.__cairnPickedPaths = ["/home/ada/leads.csv"];
    await userEvent.click(screen.getByTestId("bulk-confirm"));
    expect(await screen.findByTestId("bulk-done")).toHaveTextContent("2 contacts written to /home/ada/leads.csv");
    expect(calls).toEqual([{ cmd: "export_contacts_csv", args: { query, path: "/home/ada/leads.csv" } }]);
  });
});
