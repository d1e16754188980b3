import { describe, expect, it } from "vitest";

import type { Step, WorkflowDef } from "@/bindings";

import { buildPayload, parsePayload, payloadFields, traceOf, typedValue } from "./testRun";

const def: WorkflowDef = {
  format: "cairn.workflow",
  version: 1,
  name: "Leads",
  settings: { timezone: "UTC", reentry: "one_at_a_time" },
  nodes: [
    { id: "form", position: { x: 0, y: 0 }, kind: "trigger.form_submitted", config: { form: "Guide", filters: [{ path: "answers.consent", op: "eq", value: true }] } },
    { id: "hand", position: { x: 300, y: 0 }, kind: "trigger.manual", config: {} },
    { id: "ping", position: { x: 0, y: 150 }, kind: "action.notify", config: { channel: "desktop", message: "{{ trigger.answers.name }} wants {{trigger.plan}}" } },
  ],
  edges: [],
  email_templates: [{ name: "Hi", subject: "About {{ trigger.plan }}", body: "{{ trigger.source }}" }],
};

function step(node: string, status: Step["status"]): Step {
  return { id: 1, run_id: 1, node_id: node, kind: "action.notify", status, exit: null, detail: null, started_at: "2026-03-02T09:00:00Z", finished_at: null, attempts: 1 };
}

describe("test run payloads", () => {
  it("asks for the trigger's filter paths first, then every trigger merge field", () => {
    expect(payloadFields(def, "form")).toEqual([
      { path: "answers.consent", hint: "filter: eq true" },
      { path: "answers.name", hint: "merge field" },
      { path: "plan", hint: "merge field" },
      { path: "source", hint: "merge field" },
    ]);
    // Another trigger has no filters: only the merge fields.
    expect(payloadFields(def, "hand").map((f) => f.path)).toEqual(["answers.name", "plan", "source"]);
  });

  it("builds a nested payload with JSON's types and leaves empty fields out", () => {
    expect(buildPayload({ "answers.consent": "true", "answers.name": "Ann", plan: "", amount: "149.5", code: "007x" })).toEqual({
      answers: { consent: true, name: "Ann" },
      amount: 149.5,
      code: "007x",
    });
    expect(typedValue("null")).toBeNull();
    expect(typedValue(" 12 ")).toBe(12);
  });

  it("accepts a JSON object only and says what is wrong otherwise", () => {
    expect(parsePayload("")).toEqual({ payload: {} });
    expect(parsePayload('{"a": 1}')).toEqual({ payload: { a: 1 } });
    expect(parsePayload("[1]")).toEqual({ error: 'The payload must be a JSON object, such as {"product": "Program A"}.' });
    expect("error" in parsePayload("{a")).toBe(true);
  });
});

describe("a run's marks", () => {
  it("marks each node with its latest step and the node the run is at", () => {
    const t = traceOf([step("a", "ok"), step("b", "failed"), step("b", "ok"), step("c", "waiting")], "c");
    expect(Object.fromEntries(t)).toEqual({
      a: { status: "ok", current: false },
      b: { status: "ok", current: false },
      c: { status: "waiting", current: true },
    });
  });
});
