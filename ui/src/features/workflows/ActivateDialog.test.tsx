import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { Forecast, ForecastCounts } from "@/api";

import { ActivateDialog } from "./ActivateDialog";

const counts = (c: Partial<ForecastCounts>): ForecastCounts => ({
  runs_started: 0,
  emails: {},
  emails_total: 0,
  emails_refused: 0,
  tags_added: 0,
  tags_removed: 0,
  fields_set: 0,
  deals: 0,
  course_enrollments: 0,
  course_unenrollments: 0,
  webhooks: 0,
  notifications: 0,
  workflows_started: 0,
  workflows_removed: 0,
  unsubscribes: 0,
  failures: 0,
  ...c,
});

/** As the shell answers for a birthday workflow over 38 subscribed contacts. */
const forecast = (more: Partial<Forecast> = {}): Forecast => ({
  workflow: "Birthday",
  version: 1,
  active: false,
  start: "2026-01-05T08:00:00Z",
  end: "2026-02-04T08:00:00Z",
  days: 30,
  subscribed_contacts: 38,
  windows: [
    { days: 1, counts: counts({ runs_started: 2, emails: { greeting: 2 }, emails_total: 2 }) },
    { days: 7, counts: counts({ runs_started: 11, emails: { greeting: 11 }, emails_total: 11 }) },
    {
      days: 30,
      counts: counts({ runs_started: 38, emails: { gift: 10, greeting: 38 }, emails_total: 48, tags_added: 10 }),
    },
  ],
  per_day: [],
  paths: [
    { status: "completed", node: "tag", label: "Mark gifted", reason: null, runs: 10, sample: ["a@x.com", "b@x.com"] },
  ],
  assumptions: ["No new events are assumed: no purchases, signups, form submissions, opens, clicks or replies arrive during the forecast."],
  confirm: [],
  ...more,
});

function renderDialog(answer: () => Forecast, props: { onActivate?: () => void; onRefused?: () => void } = {}) {
  const asked: unknown[] = [];
  mockIPC((cmd, args) => {
    if (cmd === "forecast_workflow") {
      asked.push(args);
      return answer();
    }
    throw new Error(`unexpected command ${cmd}`);
  });
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <ActivateDialog
        name="Birthday"
        pending={false}
        onActivate={props.onActivate ?? (() => {})}
        onRefused={props.onRefused ?? (() => {})}
        onClose={() => {}}
      />
    </QueryClientProvider>,
  );
  return asked;
}

afterEach(() => clearMocks());

describe("ActivateDialog", () => {
  it("shows the forecast for 1, 7 and 30 days and activates", async () => {
    const onActivate = vi.fn();
    const asked = renderDialog(() => forecast(), { onActivate });
    const shown = await screen.findByTestId("forecast");
    expect(asked).toEqual([{ name: "Birthday", draft: null, days: 30 }]);
    const tabs = within(shown).getAllByTestId("forecast-tab");
    expect(tabs.map((t) => t.textContent)).toEqual(["Next day", "Next 7 days", "Next 30 days"]);
    expect(screen.getByTestId("forecast-emails")).toHaveTextContent("Emails2");
    await userEvent.click(tabs[2]!);
    expect(screen.getByTestId("forecast-runs")).toHaveTextContent("Runs started38");
    const templates = screen.getAllByTestId("forecast-template").map((r) => r.textContent);
    expect(templates).toEqual(["“gift”10", "“greeting”38"]);
    expect(screen.getByTestId("forecast-tags_added")).toHaveTextContent("Tags added10");
    expect(screen.queryByTestId("forecast-unsubscribes")).toBeNull();
    expect(screen.getByTestId("forecast-path")).toHaveTextContent("10 runs completed at Mark gifted — e.g. a@x.com, b@x.com");
    expect(screen.getByText(/No new events are assumed/)).toBeInTheDocument();
    expect(screen.queryByTestId("forecast-confirm")).toBeNull();
    await userEvent.click(screen.getByTestId("activate-confirm"));
    expect(onActivate).toHaveBeenCalledOnce();
  });

  it("asks for the box to be ticked when the forecast emails much of the list or unsubscribes", async () => {
    const onActivate = vi.fn();
    renderDialog(
      () =>
        forecast({
          confirm: [
            {
              code: "mass_email",
              message: "on day 8 it would send 12 emails at once: 32 % of the 38 subscribed contacts (confirmation is asked above 20 %)",
            },
            { code: "unsubscribes", message: "it would unsubscribe 2 contacts" },
          ],
        }),
      { onActivate },
    );
    const warning = await screen.findByTestId("forecast-confirm");
    expect(warning).toHaveTextContent("On day 8 it would send 12 emails at once: 32 %");
    expect(warning).toHaveTextContent("It would unsubscribe 2 contacts.");
    const activate = screen.getByTestId("activate-confirm");
    expect(activate).toBeDisabled();
    await userEvent.click(activate);
    expect(onActivate).not.toHaveBeenCalled();
    await userEvent.click(screen.getByTestId("forecast-confirm-box"));
    expect(activate).toBeEnabled();
    await userEvent.click(activate);
    expect(onActivate).toHaveBeenCalledOnce();
  });

  it("hands a workflow that does not validate back, once", async () => {
    const onRefused = vi.fn();
    renderDialog(
      () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- as the shell rejects
        throw { code: "validation_failed", message: "the workflow has 1 error" };
      },
      { onRefused },
    );
    await vi.waitFor(() => expect(onRefused).toHaveBeenCalledOnce());
    expect(screen.queryByTestId("forecast")).toBeNull();
  });
});
