import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ContactDialog } from "./ContactDialog";

afterEach(() => clearMocks());

describe("ContactDialog", () => {
  it("says an erased email comes back unsubscribed and re-subscribes only when asked", async () => {
    const adds: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "list_fields" || cmd === "list_tags") return [];
      if (cmd === "contact_erased_at") {
        const { email } = args as { email: string };
        return email === "ada@example.com" ? "2026-02-01T10:00:00Z" : null;
      }
      if (cmd === "add_contact") {
        adds.push(args);
        return { id: 9, email: "ada@example.com", name: null, status: "subscribed", timezone: null, fields: {}, tags: [], is_test: false, created_at: "2026-03-01T09:00:00Z", updated_at: "2026-03-01T09:00:00Z" };
      }
      throw new Error(`unexpected ${cmd}`);
    });
    const onClose = vi.fn();
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={client}>
        <ContactDialog onClose={onClose} />
      </QueryClientProvider>,
    );
    await userEvent.type(screen.getByLabelText("Email"), "Ada@Example.com");
    expect(await screen.findByTestId("erased-note")).toHaveTextContent("erased on 2026-02-01");
    await userEvent.click(screen.getByTestId("resubscribe-erased"));
    await userEvent.click(screen.getByTestId("save-contact"));
    await vi.waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(adds).toHaveLength(1);
    expect(adds[0]).toMatchObject({ resubscribeErased: true, input: { email: "Ada@Example.com" } });
  });
});
