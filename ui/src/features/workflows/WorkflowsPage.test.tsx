import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import type { WorkflowSummary } from "@/api";

import { WorkflowsPage } from "./WorkflowsPage";

// The real api module and the real invoke() run; only the Rust side of the
// IPC is replaced, answering list_workflows as the shell would.
function renderPage() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <WorkflowsPage />
    </QueryClientProvider>,
  );
}

const welcome: WorkflowSummary = {
  id: 1,
  name: "Welcome series",
  status: "paused",
  version: 2,
  created_at: "2025-03-01T09:00:00Z",
  updated_at: "2025-03-02T09:00:00Z",
};

afterEach(() => clearMocks());

describe("WorkflowsPage", () => {
  it("lists the workflows the backend returns, with their status", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === "list_workflows") return [welcome, { ...welcome, id: 2, name: "Abandoned cart", status: "active" }];
      throw new Error(`unexpected command ${cmd}`);
    });
    renderPage();

    const rows = await screen.findAllByTestId("workflow-row");
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByTestId("workflow-name")).toHaveTextContent("Welcome series");
    expect(within(rows[0]!).getByTestId("workflow-status")).toHaveTextContent("Paused");
    expect(within(rows[1]!).getByTestId("workflow-status")).toHaveTextContent("Active");
    expect(within(rows[0]!).getByText("v2")).toBeInTheDocument();
    expect(calls).toEqual(["list_workflows"]);
  });

  it("tells the user what to do when there are no workflows", async () => {
    mockIPC(() => []);
    renderPage();

    const empty = await screen.findByTestId("workflows-empty");
    expect(empty).toHaveTextContent("No workflows yet");
    expect(empty).toHaveTextContent("cairn workflow import FILE");
    expect(screen.queryByTestId("workflow-list")).not.toBeInTheDocument();
  });

  it("shows the backend's message and code, and tries again on request", async () => {
    let fail = true;
    mockIPC(() => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- the shell rejects with a plain {code, message}
      if (fail) throw { code: "newer_database", message: "update Cairn to open it" };
      return [welcome];
    });
    renderPage();

    const panel = await screen.findByRole("alert");
    expect(panel).toHaveTextContent("update Cairn to open it");
    expect(panel).toHaveAttribute("data-code", "newer_database");

    fail = false;
    await userEvent.click(within(panel).getByRole("button", { name: /try again/i }));
    expect(await screen.findByTestId("workflow-row")).toHaveTextContent("Welcome series");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });
});
