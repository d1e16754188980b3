// What the benchmark runs inside the page (the real app's WebKit window or
// headless Chromium): open the editor on a workflow by its address and time
// the stages of it becoming usable. Kept free of imports: it is sent as text.

/**
 * Opens `#/workflows/<id>` and resolves to milliseconds since the address
 * changed:
 * - `drawn`: the first canvas node is on screen;
 * - `interactive`: every rendered node is measured and visible, the canvas
 *   is framed (the viewport moved to the workflow), and a frame after that
 *   has been painted — the canvas answers input from here on;
 * - `select`: how long a click on a node takes to show its settings in the
 *   inspector (input latency on the open canvas);
 * and how many node elements the canvas keeps in the page.
 */
export async function openEditor(id, timeoutMs) {
  const raf = () => new Promise((r) => requestAnimationFrame(() => r()));
  const deadline = performance.now() + timeoutMs;
  // Every frame until interactive: when it came and what the page held,
  // so a long gap shows which stage the time went to.
  const frames = [];
  const state = () => {
    const canvas = document.querySelector("[data-testid=canvas]") ? "canvas" : "no canvas";
    const nodes = document.querySelectorAll(".react-flow__node").length;
    const v = document.querySelector(".react-flow__viewport")?.style.transform ?? "";
    return `${canvas}, ${nodes} nodes, ${v || "no viewport"}`;
  };
  const until = async (what, test) => {
    for (;;) {
      const v = test();
      if (v) return v;
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await raf();
      frames.push([Math.round(performance.now() - t0), state()]);
    }
  };
  const t0 = performance.now();
  location.hash = `#/workflows/${id}`;
  await until("the first node", () => document.querySelector(".react-flow__node"));
  const drawn = performance.now() - t0;
  // React Flow starts at the origin, zoom 1; the editor then frames the workflow.
  const viewport = () => document.querySelector(".react-flow__viewport")?.style.transform ?? "";
  await until("the framed canvas", () => {
    const nodes = document.querySelectorAll(".react-flow__node");
    const v = viewport();
    return nodes.length > 0 && [...nodes].every((n) => n.style.visibility !== "hidden") && v !== "" && v !== "translate(0px, 0px) scale(1)";
  });
  await raf();
  await raf();
  const interactive = performance.now() - t0;
  const rendered = document.querySelectorAll(".react-flow__node").length;

  // Click a node in view that is not selected yet; wait for its inspector.
  const box = document.querySelector("[data-testid=canvas]").getBoundingClientRect();
  const target = [...document.querySelectorAll("[data-testid=canvas-node]")].find((n) => {
    const r = n.getBoundingClientRect();
    return r.top > box.top && r.bottom < box.bottom && r.left > box.left && r.right < box.right && n.dataset.nodeId !== "n0";
  });
  const t1 = performance.now();
  target.closest(".react-flow__node").click();
  await until("the inspector", () => document.querySelector(`[data-testid=inspector][data-node-id="${target.dataset.nodeId}"]`));
  await raf();
  const select = performance.now() - t1;
  return { drawn, interactive, select, rendered, frames };
}

/** Back to the workflow list, and wait until it is drawn. */
export async function openList(timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  location.hash = "#/workflows";
  while (!document.querySelector("[data-testid=workflow-name]")) {
    if (performance.now() > deadline) throw new Error("timed out waiting for the workflow list");
    await new Promise((r) => requestAnimationFrame(() => r()));
  }
}
