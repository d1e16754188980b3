import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import { AddAccountDialog } from "./AddAccountDialog";

function renderDialog(client = new QueryClient()) {
  return render(
    <QueryClientProvider client={client}>
      <AddAccountDialog onClose={() => {}} />
    </QueryClientProvider>,
  );
}

afterEach(() => clearMocks());

describe("AddAccountDialog", () => {
  it("sends the password once to the add command and keeps it nowhere else", async () => {
    const calls: { cmd: string; args: Record<string, unknown> }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args: args as Record<string, unknown> });
      if (cmd === "add_smtp_account") return { id: 1, name: "gmail" };
      return [];
    });
    const client = new QueryClient();
    renderDialog(client);
    await userEvent.type(screen.getByTestId("account-name"), "gmail");
    await userEvent.type(screen.getByTestId("account-host"), "smtp.gmail.com");
    await userEvent.type(screen.getByTestId("account-username"), "ada@gmail.com");
    await userEvent.type(screen.getByTestId("account-from"), "Ada <ada@gmail.com>");
    await userEvent.type(screen.getByTestId("account-secret"), "s3cret pw");
    await userEvent.click(screen.getByTestId("save-account"));

    await waitFor(() => expect(screen.getByTestId<HTMLInputElement>("account-secret").value).toBe(""));
    const add = calls.filter((c) => c.cmd === "add_smtp_account");
    expect(add).toHaveLength(1);
    expect(add[0]?.args).toMatchObject({
      name: "gmail",
      password: "s3cret pw",
      settings: { host: "smtp.gmail.com", port: 587, security: "starttls", username: "ada@gmail.com" },
    });
    // Not in the settings, not in the mutation cache, not left in the input.
    expect(JSON.stringify(add[0]?.args.settings)).not.toContain("s3cret");
    const cached = client.getMutationCache().getAll().map((m) => JSON.stringify(m.state));
    expect(cached.join("")).not.toContain("s3cret");
    expect(screen.getByTestId<HTMLInputElement>("account-secret").value).toBe("");
  });

  it("names what is missing before anything is sent", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      return [];
    });
    renderDialog();
    await userEvent.type(screen.getByTestId("account-name"), "gmail");
    await userEvent.type(screen.getByTestId("account-username"), "ada");
    await userEvent.click(screen.getByTestId("save-account"));
    expect(await screen.findByTestId("error-acct-secret")).toHaveTextContent("A login needs its password");
    expect(screen.getByTestId("error-acct-host")).toHaveTextContent("Host is required");
    expect(calls).not.toContain("add_smtp_account");
  });
});
