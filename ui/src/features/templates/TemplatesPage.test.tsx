import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { RouterProvider, createMemoryRouter, useLocation, useParams } from "react-router";
import { afterEach, beforeAll, describe, expect, it } from "vitest";

import type { ImportOutcome, TemplateInfo, WorkflowDef } from "@/api";

import { TemplatesPage } from "./TemplatesPage";

// React Flow measures nodes with ResizeObserver and reads the zoom from a
// DOMMatrix; jsdom has neither (as in React Flow's own testing guide).
beforeAll(() => {
  class ResizeObserver {
    constructor(private cb: ResizeObserverCallback) {}
    observe(target: Element) {
      this.cb([{ target } as ResizeObserverEntry], this);
    }
    unobserve() {}
    disconnect() {}
  }
  class DOMMatrixReadOnly {
    m22 = 1;
  }
  Object.assign(globalThis, { ResizeObserver, DOMMatrixReadOnly });
});

afterEach(() => clearMocks());

const cart: TemplateInfo = {
  slug: "abandoned-cart",
  name: "Abandoned cart",
  description: "Three gentle reminders after a cart is left behind. A purchase ends the reminders at once.",
  triggers: ["Cart abandoned"],
  nodes: 3,
  emails: 1,
  goals: ["Purchased"],
  accounts: [{ name: "Email", kind: "smtp" }],
  engagement: false,
  requires: {},
};
const purchase: TemplateInfo = {
  slug: "post-purchase",
  name: "Post-purchase: Program A",
  description: "A purchase of Program A does the six things a coach used to do by hand.",
  triggers: ["Bought Program A"],
  nodes: 17,
  emails: 5,
  goals: ["Refunded"],
  accounts: [
    { name: "Email", kind: "smtp" },
    { name: "Team Slack", kind: "slack" },
  ],
  engagement: false,
  requires: { pipelines: [{ name: "Sales", stages: ["Lead", "Won"] }], courses: ["Program A"] },
};

const cartDef: WorkflowDef = {
  format: "cairn.workflow",
  version: 1,
  name: "Abandoned cart",
  settings: { timezone: "UTC", reentry: "one_at_a_time" },
  nodes: [
    { id: "abandoned", position: { x: 0, y: 0 }, kind: "trigger.event", config: { event_type: "cart.abandoned" } },
    { id: "wait", position: { x: 0, y: 150 }, kind: "wait.duration", config: { duration: "1h" } },
    { id: "done", position: { x: 0, y: 300 }, kind: "end", config: {} },
  ],
  edges: [
    { from: "abandoned", exit: "next", to: "wait" },
    { from: "wait", exit: "next", to: "done" },
  ],
} as unknown as WorkflowDef;

const imported = (name: string, renamedFrom: string | null): ImportOutcome => ({
  id: 12,
  name,
  renamed_from: renamedFrom,
  replaced: false,
  version: 1,
  status: "paused",
  report: { issues: [] },
});

/** Where "use" lands: the editor's route, showing what it was told. */
function EditorStandIn() {
  const { workflowId } = useParams();
  const notice = (useLocation().state as { notice?: string } | null)?.notice;
  return (
    <p data-testid="editor">
      editor {workflowId}: {notice}
    </p>
  );
}

function renderGallery() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const router = createMemoryRouter(
    [
      { path: "/templates", element: <TemplatesPage /> },
      { path: "/workflows/:workflowId", element: <EditorStandIn /> },
    ],
    { initialEntries: ["/templates"] },
  );
  render(
    <QueryClientProvider client={client}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
}

describe("TemplatesPage", () => {
  it("says a template that reads opens and clicks needs an account that reports them", async () => {
    const quiet: TemplateInfo = { ...cart, slug: "re-engagement", name: "Re-engagement: 60 days quiet", engagement: true };
    mockIPC((cmd) => {
      if (cmd === "list_templates") return [quiet];
      throw new Error(`unexpected ${cmd}`);
    });
    renderGallery();
    const [card] = await screen.findAllByTestId("template-card");
    expect(within(card!).getByTestId("template-needs")).toHaveTextContent(
      "Email (SMTP), an account that reports opens and clicks (Mailgun or Postmark)",
    );
  });

  it("shows each template as a card with what it needs and its node count", async () => {
    mockIPC((cmd) => {
      if (cmd === "list_templates") return [cart, purchase];
      throw new Error(`unexpected ${cmd}`);
    });
    renderGallery();
    const cards = await screen.findAllByTestId("template-card");
    expect(cards).toHaveLength(2);
    const second = cards[1]!;
    expect(within(second).getByTestId("template-name")).toHaveTextContent("Post-purchase: Program A");
    expect(within(second).getByTestId("template-node-count")).toHaveTextContent("17 nodes");
    expect(within(second).getByTestId("template-needs")).toHaveTextContent("Email (SMTP), Team Slack (Slack)");
    expect(within(second).getByTestId("template-needs")).not.toHaveTextContent("opens and clicks");
    expect(second).toHaveTextContent("Sales pipeline");
    expect(second).toHaveTextContent("Program A course");
    // One line: the description's first sentence, the rest on hover.
    expect(within(cards[0]!).getByTestId("template-description")).toHaveTextContent(
      /^Three gentle reminders after a cart is left behind\.$/,
    );
  });

  it("previews a template's canvas read-only, with one card per node", async () => {
    mockIPC((cmd, args) => {
      if (cmd === "list_templates") return [cart, purchase];
      if (cmd === "template_workflow" && (args as { slug: string }).slug === "abandoned-cart") return cartDef;
      throw new Error(`unexpected ${cmd}`);
    });
    renderGallery();
    const [card] = await screen.findAllByTestId("template-card");
    await userEvent.click(within(card!).getByTestId("template-preview"));
    // The preview's canvas code loads on first use (a lazy chunk).
    const canvas = await screen.findByTestId("template-canvas", undefined, { timeout: 10_000 });
    const nodes = await within(canvas).findAllByTestId("canvas-node");
    expect(nodes.map((n) => n.dataset.kind)).toEqual(["trigger.event", "wait.duration", "end"]);
    expect(canvas).toHaveAttribute("data-node-count", "3");
    expect(screen.getByTestId("template-preview-dialog")).toHaveTextContent("3 nodes · 1 email · starts on Cart abandoned");
  });

  it("uses a template through the import and opens the copy in the editor, saying it is paused", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "list_templates") return [cart, purchase];
      if (cmd === "use_template") return imported("Abandoned cart (2)", "Abandoned cart");
      throw new Error(`unexpected ${cmd}`);
    });
    renderGallery();
    const [card] = await screen.findAllByTestId("template-card");
    await userEvent.click(within(card!).getByTestId("template-use"));
    const editor = await screen.findByTestId("editor");
    expect(editor).toHaveTextContent("editor 12");
    expect(editor).toHaveTextContent("as “Abandoned cart (2)” (“Abandoned cart” exists already), paused");
    expect(calls.filter((c) => c.cmd === "use_template")).toEqual([
      { cmd: "use_template", args: { slug: "abandoned-cart" } },
    ]);
  });

  it("says why a template could not be used, and stays on the gallery", async () => {
    mockIPC((cmd) => {
      if (cmd === "list_templates") return [cart];
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- the shell rejects with a plain {code, message}
      if (cmd === "use_template") throw { code: "database_locked", message: "the database is busy; try again" };
      throw new Error(`unexpected ${cmd}`);
    });
    renderGallery();
    await userEvent.click((await screen.findAllByTestId("template-use"))[0]!);
    expect(await screen.findByTestId("template-use-error")).toHaveTextContent("the database is busy; try again");
    expect(screen.queryByTestId("editor")).not.toBeInTheDocument();
  });
});
