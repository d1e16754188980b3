// A large workflow for the editor benchmark: one trigger, then a chain of
// `n - 1` steps of mixed kinds (tags, waits, conditions, webhooks, emails),
// laid out as the auto-layout would (rows 150 px apart, 25 rows per
// column, 320 px between columns). Conditions send both exits onward.

const KINDS = [
  (i) => ({ kind: "action.add_tag", config: { tag: `step-${i}` } }),
  (i) => ({ kind: "wait.duration", config: { duration: `${(i % 5) + 1}d` } }),
  (i) => ({ kind: "condition", config: { condition: { all: [{ has_tag: `step-${i - 2}` }] } } }),
  (i) => ({ kind: "action.webhook", config: { method: "POST", url: `https://example.com/hooks/${i}`, body: '{"email": "{{ contact.email }}"}' } }),
  () => ({ kind: "wait.until_time", config: { weekdays: ["mon"], time: "09:00" } }),
  () => ({ kind: "action.send_email", config: { template: "Check-in", account: "" } }),
  (i) => ({ kind: "action.remove_tag", config: { tag: `step-${i - 6}` } }),
];

export function bigWorkflow(n = 500, name = `Bench ${n} nodes`) {
  const at = (i) => ({ x: Math.floor(i / 25) * 320, y: (i % 25) * 150 });
  const nodes = [{ id: "n0", position: at(0), kind: "trigger.tag_added", config: { tag: "bench" } }];
  const edges = [];
  for (let i = 1; i < n; i++) {
    const { kind, config } = KINDS[(i - 1) % KINDS.length](i);
    nodes.push({ id: `n${i}`, position: at(i), kind, config });
    const prev = nodes[i - 1];
    const exits = prev.kind === "condition" ? ["yes", "no"] : ["next"];
    for (const exit of exits) edges.push({ from: prev.id, exit, to: `n${i}` });
  }
  return {
    format: "cairn.workflow",
    version: 1,
    name,
    settings: { timezone: "UTC", reentry: "one_at_a_time" },
    nodes,
    edges,
    email_templates: [{ name: "Check-in", subject: "How is it going, {{ contact.first_name }}?", body: "Hi {{ contact.first_name }}, …" }],
  };
}
