import { fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import type { Node, WorkflowDef } from "@/api";
import { namesFor } from "@/core/editor/names";

import { NodeForm } from "./NodeForm";

const def = (nodes: Node[]): WorkflowDef => ({
  format: "cairn.workflow",
  version: 1,
  name: "W",
  settings: { timezone: "UTC", reentry: "one_at_a_time" },
  nodes,
  edges: [],
});

const names = (d: WorkflowDef) =>
  namesFor(d, {
    tags: [],
    fields: [{ name: "birthday", type: "date" }],
    accounts: [
      { name: "Gmail", kind: "smtp" },
      { name: "Team Slack", kind: "slack" },
      { name: "CRM key", kind: "webhook" },
    ],
    pipelines: [{ name: "Sales", stages: ["Lead", "Won"] }],
    courses: ["Program A"],
    workflows: [],
  });

function renderForm(node: Node) {
  const d = def([node]);
  const onNode = vi.fn<(n: Node, key?: string) => void>();
  const onDef = vi.fn<(d: WorkflowDef, key?: string) => void>();
  render(<NodeForm node={node} def={d} names={names(d)} onNode={onNode} onDef={onDef} />);
  return { onNode, onDef };
}

describe("the node forms", () => {
  it("edit a split's variants: names, whole-number weights, add and remove, a winner", () => {
    const split: Node = {
      id: "ab",
      position: { x: 0, y: 0 },
      kind: "split",
      config: { variants: [{ name: "A", weight: 1 }, { name: "B", weight: 3 }] },
    };
    const { onNode } = renderForm(split);
    const weights = screen.getAllByTestId("variant-weight");
    expect(screen.getByText("25 % of the runs")).toBeInTheDocument();
    expect(screen.getByText("75 % of the runs")).toBeInTheDocument();
    // Two variants are the least: neither can be removed.
    for (const b of screen.getAllByRole("button", { name: "Remove variant" })) expect(b).toBeDisabled();

    fireEvent.change(weights[1]!, { target: { value: "2.5" } });
    expect(onNode).not.toHaveBeenCalled();
    fireEvent.change(weights[1]!, { target: { value: "0" } });
    expect(onNode).not.toHaveBeenCalled();
    expect(screen.getByText("Enter a number from 1 to 10000.")).toBeInTheDocument();
    fireEvent.change(weights[1]!, { target: { value: "4" } });
    expect(onNode.mock.calls.at(-1)![0].config).toEqual({ variants: [{ name: "A", weight: 1 }, { name: "B", weight: 4 }] });

    fireEvent.change(screen.getAllByTestId("variant-name")[0]!, { target: { value: "Control" } });
    expect(onNode.mock.calls.at(-1)![0].config).toEqual({ variants: [{ name: "Control", weight: 1 }, { name: "B", weight: 3 }] });

    fireEvent.click(screen.getByTestId("add-variant"));
    expect(onNode.mock.calls.at(-1)![0].config).toEqual({
      variants: [{ name: "A", weight: 1 }, { name: "B", weight: 3 }, { name: "C", weight: 1 }],
    });

    fireEvent.change(screen.getByTestId("split-winner"), { target: { value: "B" } });
    expect(onNode.mock.calls.at(-1)![0].config).toEqual({ variants: [{ name: "A", weight: 1 }, { name: "B", weight: 3 }], winner: "B" });
  });

  it("remove a third variant, and a winner that no longer exists with it", () => {
    const split: Node = {
      id: "ab",
      position: { x: 0, y: 0 },
      kind: "split",
      config: { variants: [{ name: "A", weight: 1 }, { name: "B", weight: 1 }, { name: "C", weight: 2 }], winner: "C" },
    };
    const { onNode } = renderForm(split);
    const remove = screen.getAllByRole("button", { name: "Remove variant" });
    expect(remove[2]).toBeEnabled();
    fireEvent.click(remove[2]!);
    expect(onNode.mock.calls.at(-1)![0].config).toEqual({ variants: [{ name: "A", weight: 1 }, { name: "B", weight: 1 }] });
  });

  it("keep a duration that is not one yet out of the draft, and write valid ones", async () => {
    const { onNode } = renderForm({ id: "w", position: { x: 0, y: 0 }, kind: "wait.duration", config: { duration: "1d" } });
    const input = screen.getByTestId("config-duration");
    await userEvent.clear(input);
    await userEvent.type(input, "2x");
    expect(screen.getByText("Use a duration such as 2d, 3h or 1d12h.")).toBeInTheDocument();
    // "2" and "2x" are not durations: nothing reached the draft.
    expect(onNode).not.toHaveBeenCalled();
    await userEvent.clear(input);
    await userEvent.type(input, "36h");
    const last = onNode.mock.calls.at(-1)![0];
    expect(last.config).toEqual({ duration: "36h" });
    fireEvent.blur(input);
    expect(onNode.mock.calls.at(-1)![0].config).toEqual({ duration: "1d12h" });
  });

  it("edit payload filters with typed values", () => {
    const { onNode } = renderForm({ id: "p", position: { x: 0, y: 0 }, kind: "trigger.purchase_completed", config: {} });
    fireEvent.click(screen.getByTestId("add-filter"));
    expect(onNode.mock.calls.at(-1)![0].config).toEqual({ filters: [{ path: "", op: "eq", value: "" }] });
  });

  it("switch a notification to Slack and pick a Slack account only", () => {
    const node: Node = { id: "n", position: { x: 0, y: 0 }, kind: "action.notify", config: { channel: { slack: { account: "" } }, message: "hi" } };
    const { onNode } = renderForm(node);
    const account = screen.getByTestId("config-account");
    const options = [...account.querySelectorAll("option")].map((o) => o.value);
    expect(options).toEqual(["", "Team Slack"]);
    fireEvent.change(account, { target: { value: "Team Slack" } });
    expect(onNode.mock.calls.at(-1)![0].config).toEqual({ channel: { slack: { account: "Team Slack" } }, message: "hi" });
  });

  it("mark an email transactional, and back to marketing without a kind in the file", () => {
    const node: Node = { id: "s", position: { x: 0, y: 0 }, kind: "action.send_email", config: { template: "Receipt", account: "Gmail" } };
    const d: WorkflowDef = { ...def([node]), email_templates: [{ name: "Receipt", subject: "Thanks", body: "Paid." }] };
    const onDef = vi.fn<(d: WorkflowDef, key?: string) => void>();
    const { rerender } = render(<NodeForm node={node} def={d} names={names(d)} onNode={vi.fn()} onDef={onDef} />);
    expect(screen.getByText(/^Marketing: unsubscribed and bounced contacts are skipped/)).toBeInTheDocument();
    fireEvent.change(screen.getByTestId("template-kind"), { target: { value: "transactional" } });
    const marked = onDef.mock.calls.at(-1)![0];
    expect(marked.email_templates).toEqual([{ name: "Receipt", subject: "Thanks", body: "Paid.", kind: "transactional" }]);
    rerender(<NodeForm node={node} def={marked} names={names(marked)} onNode={vi.fn()} onDef={onDef} />);
    expect(screen.getByText(/^Transactional: unsubscribed contacts get it too/)).toBeInTheDocument();
    fireEvent.change(screen.getByTestId("template-kind"), { target: { value: "marketing" } });
    expect(onDef.mock.calls.at(-1)![0].email_templates).toEqual([{ name: "Receipt", subject: "Thanks", body: "Paid." }]);
  });

  it("take a webhook header's value from a webhook account's secret", () => {
    const node: Node = {
      id: "h",
      position: { x: 0, y: 0 },
      kind: "action.webhook",
      config: { method: "POST", url: "https://crm.test/x", headers: { Authorization: "" } },
    };
    const { onNode } = renderForm(node);
    fireEvent.click(screen.getByRole("button", { name: "Use a webhook account's secret" }));
    expect(onNode.mock.calls.at(-1)![0].config).toMatchObject({ headers: { Authorization: { secret: "CRM key" } } });
  });

  it("create an email template inline for a send-email node", () => {
    const node: Node = { id: "s", position: { x: 0, y: 0 }, kind: "action.send_email", config: { template: "", account: "" } };
    const { onDef } = renderForm(node);
    fireEvent.click(screen.getByTestId("new-template"));
    const next = onDef.mock.calls.at(-1)![0];
    expect(next.email_templates).toEqual([{ name: "Email 1", subject: "", body: "" }]);
    expect(next.nodes[0]!.config).toEqual({ template: "Email 1", account: "" });
  });

  it("offer only date fields for a date trigger and stages of the chosen pipeline", () => {
    renderForm({ id: "d", position: { x: 0, y: 0 }, kind: "trigger.date", config: { field: "", time: "09:00" } });
    const fields = [...screen.getByTestId("config-field").querySelectorAll("option")].map((o) => o.value);
    expect(fields).toEqual(["", "birthday"]);
  });

  it("offer the stages of the deal's pipeline", () => {
    renderForm({ id: "m", position: { x: 0, y: 0 }, kind: "action.move_deal", config: { pipeline: "Sales", stage: "" } });
    const stages = [...screen.getByTestId("config-stage").querySelectorAll("option")].map((o) => o.value);
    expect(stages).toEqual(["", "Lead", "Won"]);
  });
});
