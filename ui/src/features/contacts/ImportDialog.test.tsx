import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import type { CsvImportReport, CsvPreview } from "@/api";

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

const known: CsvPreview = {
  columns: [
    { header: "email", known: "builtin" },
    { header: "name", known: "builtin" },
  ],
  rows: [["ada@example.com", "Ada"]],
};

afterEach(() => clearMocks());

describe("ImportDialog", () => {
  it("shows each bad row's line and reason, writes nothing, and imports the valid rows on request", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "plugin:dialog|open") return "/home/ada/people.csv";
      if (cmd === "preview_contacts_csv") return known;
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
      if (cmd === "preview_contacts_csv") return known;
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
      if (cmd === "preview_contacts_csv") return known;
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- the shell rejects with a plain {code, message}
      throw { code: "invalid_csv", message: "CSV line 1: the header row has no email column" };
    });
    renderDialog();
    await userEvent.click(screen.getByTestId("choose-file"));
    const panel = await screen.findByRole("alert");
    expect(panel).toHaveAttribute("data-code", "invalid_csv");
    expect(panel).toHaveTextContent("no email column");
  });

  it("maps a file from another tool column by column before importing anything", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "plugin:dialog|open") return "/home/ada/kit.csv";
      if (cmd === "list_fields") return [{ name: "city", type: "text" }];
      if (cmd === "preview_contacts_csv")
        return {
          columns: [
            { header: "Email Address", known: "unknown" },
            { header: "Town", known: "unknown" },
            { header: "Member Rating", known: "unknown" },
            { header: "internal_id", known: "unknown" },
          ],
          rows: [["ada@example.com", "London", "4", "x1"]],
        } satisfies CsvPreview;
      if (cmd === "import_contacts_csv") return { ...blocked, imported: true, invalid: [], created: 1 };
      throw new Error(`unexpected ${cmd}`);
    });
    renderDialog();
    await userEvent.click(screen.getByTestId("choose-file"));
    expect(await screen.findByTestId("mapping-preview")).toHaveTextContent("London");
    const selects = screen.getAllByTestId("column-choice");
    expect(selects).toHaveLength(4);
    const column = (i: number) => selects[i] as HTMLElement;
    expect(screen.getByTestId("import-mapped")).toBeDisabled();
    await userEvent.selectOptions(column(0), "to:email");
    await screen.findAllByRole("option", { name: "Field: city" });
    await userEvent.selectOptions(column(1), "to:city");
    await userEvent.selectOptions(column(2), "new:number");
    expect(screen.getByTestId("import-mapped")).toBeDisabled();
    expect(calls.some((c) => c.cmd === "import_contacts_csv")).toBe(false);
    await userEvent.selectOptions(column(3), "skip");
    await userEvent.click(screen.getByTestId("import-mapped"));
    expect(await screen.findByTestId("import-result")).toHaveTextContent("1 contact added");
    expect(calls.filter((c) => c.cmd === "import_contacts_csv")).toEqual([
      {
        cmd: "import_contacts_csv",
        args: {
          path: "/home/ada/kit.csv",
          skipInvalid: false,
          mapping: {
            map: { "Email Address": "email", Town: "city", "Member Rating": "Member Rating:number" },
            skip_columns: ["internal_id"],
          },
        },
      },
    ]);
  });
});
