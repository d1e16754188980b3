import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import type { CsvImportReport } from "@/api";

import { ImportDialog } from "./ImportDialog";

// The real api module, the real invoke() and the real dialog plugin's
// front end run; only the Rust side answers, as the shell would.
function renderDialog(onClose = () => {}) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <ImportDialog onClose={onClose} />
    </QueryClientProvider>,
  );
}

const blocked: CsvImportReport = {
  rows: 3,
  imported: false,
  created: 0,
  updated: 0,
  unchanged: 0,
  skipped: 0,
  returned_erased: 0,
  fields_created: [],
  invalid: [{ line: 4, email: "not-an-email", reason: "\"not-an-email\" is not an email address: it has no @" }],
};

afterEach(() => clearMocks());

describe("ImportDialog", () => {
  it("shows each bad row's line and reason, writes nothing, and imports the valid rows on request", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "plugin:dialog|open") return "/home/ada/people.csv";
      if (cmd === "import_contacts_csv") {
        const { skipInvalid } = args as { skipInvalid: boolean };
        return skipInvalid ? { ...blocked, imported: true, created: 2, skipped: 1 } : blocked;
      }
      throw new Error(`unexpected ${cmd}`);
    });
    renderDialog();

    await userEvent.click(screen.getByTestId("choose-file"));
    const row = await screen.findByTestId("invalid-row");
    expect(within(row).getByTestId("invalid-line")).toHaveTextContent("4");
    expect(within(row).getByTestId("invalid-reason")).toHaveTextContent("has no @");
    expect(screen.getByTestId("import-blocked")).toHaveTextContent("Nothing has been written yet");
    expect(calls.filter((c) => c.cmd === "import_contacts_csv")).toEqual([
      { cmd: "import_contacts_csv", args: { path: "/home/ada/people.csv", skipInvalid: false } },
    ]);

    await userEvent.click(screen.getByTestId("import-valid"));
    expect(await screen.findByTestId("import-result")).toHaveTextContent("2 contacts added");
    expect(screen.getByTestId("import-result")).toHaveTextContent("1 invalid row left out");
    expect(calls.at(-1)).toEqual({ cmd: "import_contacts_csv", args: { path: "/home/ada/people.csv", skipInvalid: true } });
  });

  it("imports nothing when the user says so", async () => {
    let closed = false;
    const imports: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "plugin:dialog|open") return "/tmp/x.csv";
      imports.push(args);
      return blocked;
    });
    renderDialog(() => (closed = true));
    await userEvent.click(screen.getByTestId("choose-file"));
    await userEvent.click(await screen.findByTestId("import-nothing"));
    expect(closed).toBe(true);
    expect(imports).toHaveLength(1);
  });

  it("shows a whole-file problem with its code", async () => {
    mockIPC((cmd) => {
      if (cmd === "plugin:dialog|open") return "/tmp/x.csv";
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- the shell rejects with a plain {code, message}
      throw { code: "invalid_csv", message: "CSV line 1: the header row has no email column" };
    });
    renderDialog();
    await userEvent.click(screen.getByTestId("choose-file"));
    const panel = await screen.findByRole("alert");
    expect(panel).toHaveAttribute("data-code", "invalid_csv");
    expect(panel).toHaveTextContent("no email column");
  });
});
