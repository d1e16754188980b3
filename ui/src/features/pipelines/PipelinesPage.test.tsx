import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { cleanup, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";

import type { BoardDeal, Pipeline } from "@/api";

import { PipelinesPage } from "./PipelinesPage";

const sales: Pipeline = { id: 1, name: "Sales", stages: ["Lead", "Won"] };

function deal(id: number, stage: string, value: number | null): BoardDeal {
  return {
    id,
    contact_id: 10 + id,
    contact_email: `c${id}@example.com`,
    contact_name: `Client ${id}`,
    pipeline: "Sales",
    stage,
    title: `Deal ${id}`,
    value,
    stage_since: "2026-01-01T09:00:00Z",
  };
}

type Call = { cmd: string; args: Record<string, unknown> };

/** A fake backend: one pipeline, its deals, and what the page asked. */
function backend(deals: BoardDeal[], overrides: Record<string, (args: Record<string, unknown>) => unknown> = {}) {
  const calls: Call[] = [];
  mockIPC((cmd, args) => {
    const a = (args ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args: a });
    const override = overrides[cmd];
    if (override) return override(a);
    if (cmd === "list_pipelines") return [sales];
    if (cmd === "list_tags") return ["vip"];
    if (cmd === "board_deals") return deals;
    if (cmd === "set_deal_stage") return null;
    if (cmd === "pipeline_usage") return [];
    throw new Error(`unexpected ${cmd}`);
  }, { shouldMockEvents: true });
  return calls;
}

function renderPage() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter>
        <PipelinesPage />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

// jsdom lays nothing out: give the columns a height so the virtualizer
// draws their first cards.
beforeAll(() => {
  Object.defineProperties(HTMLElement.prototype, {
    clientHeight: { configurable: true, get: () => 600 },
    clientWidth: { configurable: true, get: () => 264 },
  });
});

// Unmount first: the listeners stop through the mocked event plugin.
afterEach(() => {
  cleanup();
  clearMocks();
});

describe("PipelinesPage", () => {
  it("shows each stage with its deals and totals, and moves a card by its menu", async () => {
    const calls = backend([deal(1, "Lead", 1200), deal(2, "Lead", null), deal(3, "Won", 300)]);
    renderPage();
    const columns = await screen.findAllByTestId("stage-column");
    expect(columns.map((c) => c.getAttribute("data-stage"))).toEqual(["Lead", "Won"]);
    await within(columns[0] as HTMLElement).findByText("2 deals · 1,200");
    expect(screen.getByTestId("board-count")).toHaveTextContent("3 deals · 1,500");
    expect(calls.find((c) => c.cmd === "board_deals")?.args).toEqual({
      query: { pipeline: "Sales", stage: null, tag: null, search: null },
    });

    const card = await screen.findByRole("article", { name: "Deal 1, Client 1" });
    await userEvent.selectOptions(within(card).getByTestId("deal-move"), "Won");
    // The contact page's command: records deal.stage_changed and wakes the executor.
    await vi.waitFor(() =>
      expect(calls.filter((c) => c.cmd === "set_deal_stage").map((c) => c.args)).toEqual([
        { dealId: 1, stage: "Won" },
      ]),
    );
  });

  it("filters by tag", async () => {
    const calls = backend([deal(1, "Lead", 10)]);
    renderPage();
    await screen.findAllByTestId("deal-card");
    await userEvent.selectOptions(screen.getByTestId("board-tag"), "vip");
    await vi.waitFor(() =>
      expect(calls.filter((c) => c.cmd === "board_deals").at(-1)?.args).toEqual({
        query: { pipeline: "Sales", stage: null, tag: "vip", search: null },
      }),
    );
  });

  it("says why a stage in use cannot be deleted", async () => {
    backend([deal(1, "Lead", 10)], {
      delete_stage: () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- the shell rejects with a plain {code, message}
        throw { code: "conflict", message: 'the stage "Lead" holds 1 deal; move them to another stage before deleting it' };
      },
    });
    renderPage();
    await userEvent.click(await screen.findByTestId("edit-pipeline"));
    const rows = await screen.findAllByTestId("stage-row");
    await userEvent.click(within(rows[0] as HTMLElement).getByTestId("delete-stage"));
    expect(await screen.findByTestId("stage-error")).toHaveTextContent(
      'the stage "Lead" holds 1 deal; move them to another stage before deleting it',
    );
  });

  it("shows which workflows use each stage, and those left naming a renamed one", async () => {
    let pipeline = sales;
    const uses = [
      { stage: "Lead", workflows: ["Welcome"] },
      { stage: "won", workflows: ["Follow up", "Upsell"] },
    ];
    backend([], {
      list_pipelines: () => [pipeline],
      pipeline_usage: () => uses,
      rename_stage: (a) => {
        pipeline = { ...pipeline, stages: pipeline.stages.map((s) => (s === a.stage ? (a.name as string) : s)) };
        return pipeline;
      },
    });
    renderPage();
    await userEvent.click(await screen.findByTestId("edit-pipeline"));
    const used = await screen.findAllByTestId("stage-used-by");
    expect(used.map((u) => u.textContent)).toEqual(["Used by “Welcome”", "Used by “Follow up” and “Upsell”"]);
    expect(screen.queryByTestId("stale-stages")).toBeNull();

    const won = screen.getByLabelText("Name of stage Won");
    await userEvent.clear(won);
    await userEvent.type(won, "Closed won{Enter}");
    const stale = await screen.findByTestId("stale-stages");
    expect(stale).toHaveTextContent(
      "“Follow up” and “Upsell” still name the stage “won”, which Sales no longer has. Edit them to use another stage, or give a stage that name again.",
    );
    expect(screen.getAllByTestId("stage-used-by").map((u) => u.textContent)).toEqual(["Used by “Welcome”"]);
  });
});
