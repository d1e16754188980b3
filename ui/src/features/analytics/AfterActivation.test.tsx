import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { DriftReport, ExperienceNumber } from "@/api";

import { DriftTable } from "./DriftPanel";
import { ExperienceTable } from "./ExperiencePanel";

describe("drift and the customer-experience number", () => {
  it("sets the two periods side by side with the verdict and the open incident", () => {
    const report: DriftReport = {
      workflow_id: 1,
      workflow: "Follow-up",
      baseline_since: "2026-01-01T00:00:00Z",
      recent_since: "2026-01-29T00:00:00Z",
      until: "2026-02-05T00:00:00Z",
      recent: { ended: 70, completed: 35, action_steps: 70, failed_action_steps: 35, median_secs: 3600 },
      baseline: { ended: 280, completed: 252, action_steps: 280, failed_action_steps: 28, median_secs: 3600 },
      metrics: [
        { metric: "completion_rate", recent: 0.5, baseline: 0.9, recent_n: 70, baseline_n: 280, z: -7.79, ratio: null, verdict: "drift" },
        { metric: "error_rate", recent: 0.5, baseline: 0.1, recent_n: 70, baseline_n: 280, z: 7.79, ratio: null, verdict: "drift" },
        { metric: "time_to_completion", recent: 3600, baseline: 3600, recent_n: 35, baseline_n: 252, z: null, ratio: 1, verdict: "steady" },
      ],
      incidents: [
        {
          id: 4,
          kind: "drift",
          subject: "1/completion_rate",
          title: "“Follow-up”: its completion rate drifted",
          message: "completion rate 50.0 % (of 70) in the last 7 days, 90.0 % (of 280) in the 28 days before; z = -7.8.",
          opened_at: "2026-02-05T00:00:00Z",
          notified_at: "2026-02-05T00:00:00Z",
          closed_at: null,
        },
      ],
    };
    render(<DriftTable report={report} />);
    expect(screen.getByTestId("drift-incident")).toHaveTextContent("its completion rate drifted");
    const completion = screen.getByTestId("drift-completion_rate");
    expect(completion).toHaveAttribute("data-verdict", "drift");
    const cells = within(completion).getAllByRole("cell").map((c) => c.textContent);
    expect(cells).toEqual(["Completion rate", "50.0 % of 70", "90.0 % of 280", "z = -7.8", "Drift"]);
    const time = within(screen.getByTestId("drift-time_to_completion")).getAllByRole("cell").map((c) => c.textContent);
    expect(time).toEqual(["Median time to completion", "1h of 35", "1h of 252", "× 1.00", "Steady"]);
  });

  it("compares the contacts who went through with the others", () => {
    const n: ExperienceNumber = {
      event_type: "ticket.opened",
      since: "2026-01-05T09:00:00Z",
      until: "2026-02-04T09:00:00Z",
      through: { contacts: 2, events: 1, contacts_with_event: 1, contact_days: 30, per_contact: 0.5, per_contact_per_30_days: 1 },
      others: { contacts: 2, events: 3, contacts_with_event: 2, contact_days: 40, per_contact: 1.5, per_contact_per_30_days: 2.25 },
    };
    render(<ExperienceTable number={n} />);
    expect(screen.getByTestId("experience")).toHaveTextContent("Customer experience: ticket.opened per contact");
    const cells = (id: string) => within(screen.getByTestId(id)).getAllByRole("cell").map((c) => c.textContent);
    expect(cells("experience-through")).toEqual(["Went through the workflow", "0.50", "1.00", "1", "2", "1"]);
    expect(cells("experience-others")).toEqual(["Did not", "1.50", "2.25", "3", "2", "2"]);
  });
});
