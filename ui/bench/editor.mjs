#!/usr/bin/env node
// Benchmark: open a 500-node workflow in the editor; report the time to an
// interactive canvas and the memory it takes. Not a test: run by hand (see
// docs/BENCHMARKS.md), never by scripts/test or vitest.
//
//   node ui/bench/editor.mjs app [--nodes 500] [--rounds 5]
//     The real app (target/debug/cairn-app, or CAIRN_APP) under WebDriver
//     (tauri-driver + WebKitWebDriver), on a fresh database into which the
//     app imports the workflow file (its import_workflow_file command, what
//     the Workflows screen's Import does; or the CLI's `cairn workflow
//     import` with `--cli`, target/debug/cairn or CAIRN_CLI). Needs an X
//     display (run under xvfb-run). Memory: the proportional set size (PSS)
//     of the app and its WebKit processes, from /proc.
//   node ui/bench/editor.mjs chromium [--nodes 500] [--rounds 5]
//     The built UI (ui/dist) in headless Chromium against a mocked backend
//     (the same mock as @tauri-apps/api/mocks): the UI's own cost without
//     IPC or the Rust side. Memory: the page's JS heap.
//
// No dependencies beyond Node: WebDriver is plain HTTP, Chromium is driven
// through its DevTools pipe.

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as netServer } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { openEditor, openList } from "./page.mjs";

/** With --frames: each frame of an open until interactive (ms, what the page held). */
function showFrames(r) {
  const frames = r.frames ?? [];
  delete r.frames;
  if (!process.argv.includes("--frames")) return;
  let prev = 0;
  for (const [t, what] of frames) {
    console.log(`  ${String(t).padStart(6)} ms (+${String(t - prev).padStart(4)})  ${what}`);
    prev = t;
  }
  console.log("  --");
}
import { bigWorkflow } from "./workflow.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const args = process.argv.slice(2);
const mode = args[0] ?? "app";
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const N = opt("nodes", 500);
const ROUNDS = opt("rounds", 5);
const TIMEOUT = 120_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${Math.round(ms)} ms`;
const mib = (kib) => `${(kib / 1024).toFixed(0)} MiB`;

function freePort() {
  return new Promise((res) => {
    const s = netServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** The in-page functions, as a script WebDriver's execute/async runs. */
const asyncScript = (fn, ...params) =>
  `const done = arguments[arguments.length - 1];
   (${fn.toString()})(${params.map((p) => JSON.stringify(p)).join(", ")}).then(done, (e) => done({ error: String(e) }));`;

function report(label, rounds, memory) {
  const cold = rounds[0];
  const warm = rounds.slice(1);
  console.log(`\n${label}: ${N} nodes, ${rounds.length} opens; load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")} on ${availableParallelism()} cores`);
  console.log(`  nodes kept in the page: ${cold.rendered}`);
  const cpu = (r) => (r.cpu === undefined ? "" : `; page CPU ${fmt(r.cpu)}${r.appCpu === undefined ? "" : `, cairn-app CPU ${fmt(r.appCpu)}`}`);
  console.log(`  first open:  drawn ${fmt(cold.drawn)}, interactive ${fmt(cold.interactive)}, click → inspector ${fmt(cold.select)}${cpu(cold)}`);
  if (warm.length)
    console.log(
      `  later opens (median of ${warm.length}): drawn ${fmt(median(warm.map((r) => r.drawn)))}, interactive ${fmt(median(warm.map((r) => r.interactive)))} (fastest ${fmt(Math.min(...warm.map((r) => r.interactive)))}), click → inspector ${fmt(median(warm.map((r) => r.select)))}${warm[0].cpu === undefined ? "" : `; page CPU ${fmt(median(warm.map((r) => r.cpu)))}`}${warm[0].appCpu === undefined ? "" : `, cairn-app CPU ${fmt(median(warm.map((r) => r.appCpu)))}`}`,
    );
  for (const [k, v] of Object.entries(memory)) console.log(`  memory ${k}: ${v}`);
  console.log(JSON.stringify({ mode, nodes: N, rounds, memory }));
}

// --- The real app ------------------------------------------------------------

/** `pid` and every process below it. */
function treeOf(pid) {
  const children = new Map();
  for (const d of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch {
      /* gone */
    }
  }
  const all = [];
  const walk = (p) => {
    all.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return all;
}

/** PSS and RSS (KiB) of `pid` and every process below it. */
function memoryOfTree(pid) {
  const all = treeOf(pid);
  let pss = 0;
  let rss = 0;
  const names = [];
  for (const p of all) {
    try {
      const comm = readFileSync(`/proc/${p}/comm`, "utf8").trim();
      const roll = readFileSync(`/proc/${p}/smaps_rollup`, "utf8");
      pss += Number(/^Pss:\s+(\d+)/m.exec(roll)?.[1] ?? 0);
      rss += Number(/^Rss:\s+(\d+)/m.exec(roll)?.[1] ?? 0);
      names.push(comm);
    } catch {
      /* gone */
    }
  }
  return { pss, rss, names };
}

/** CPU time (ms, user + system) the processes in `pids` have used so far, by process name. */
function cpuOf(pids) {
  const out = {};
  for (const p of pids) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out[comm] = (out[comm] ?? 0) + ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks (USER_HZ = 100)
    } catch {
      /* gone */
    }
  }
  return out;
}

function findApp(driverPid) {
  // tauri-driver → WebKitWebDriver → cairn-app → WebKit's web and network processes.
  for (const d of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      if (readFileSync(`/proc/${d}/comm`, "utf8").trim() !== "cairn-app") continue;
      let p = Number(d);
      for (let i = 0; i < 4 && p > 1; i++) {
        const stat = readFileSync(`/proc/${p}/stat`, "utf8");
        p = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        if (p === driverPid) return Number(d);
      }
    } catch {
      /* gone */
    }
  }
  return null;
}

async function runApp() {
  const app = process.env.CAIRN_APP ?? join(root, "target/debug/cairn-app");
  const cli = args.includes("--cli") ? (process.env.CAIRN_CLI ?? join(root, "target/debug/cairn")) : null;
  for (const [what, p] of [["the app", app], ["the CLI", cli]])
    if (p && !existsSync(p)) throw new Error(`${what} is not built: ${p} (cargo build -p cairn -p cairn-cli)`);
  const dir = mkdtempSync(join(tmpdir(), "cairn-bench-editor-"));
  const db = join(dir, "data", "cairn.db");
  mkdirSync(dirname(db), { recursive: true });
  const file = join(dir, `workflow-${N}.json`);
  writeFileSync(file, JSON.stringify(bigWorkflow(N), null, 2));
  if (cli) {
    execFileSync(cli, ["--db", db, "init"], { stdio: "ignore" });
    execFileSync(cli, ["--db", db, "workflow", "import", file], { stdio: "inherit" });
  }

  const port = await freePort();
  const nativePort = await freePort();
  const xdg = join(dir, "xdg");
  const driver = spawn(process.env.TAURI_DRIVER ?? "tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    env: {
      ...process.env,
      CAIRN_DB: db,
      XDG_DATA_HOME: join(xdg, "data"),
      XDG_CONFIG_HOME: join(xdg, "config"),
      XDG_CACHE_HOME: join(xdg, "cache"),
      NO_AT_BRIDGE: "1",
    },
    stdio: "ignore",
    detached: true,
  });
  const stop = () => {
    try {
      process.kill(-driver.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  };
  process.on("exit", stop);
  const wd = async (method, path, body) => {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const j = await r.json();
    if (!r.ok) throw new Error(`${method} ${path}: ${JSON.stringify(j.value ?? j)}`);
    return j.value;
  };
  for (let i = 0; ; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/status`);
      break;
    } catch {
      if (i > 600) throw new Error("tauri-driver did not listen");
      await sleep(100);
    }
  }
  const session = await wd("POST", "/session", { capabilities: { alwaysMatch: { "tauri:options": { application: app } } } });
  const s = `/session/${session.sessionId}`;
  await wd("POST", `${s}/timeouts`, { script: TIMEOUT });
  const exec = async (fn, ...params) => {
    const v = await wd("POST", `${s}/execute/async`, { script: asyncScript(fn, ...params), args: [] });
    if (v && v.error) throw new Error(v.error);
    return v;
  };
  let id = 1;
  if (!cli) {
    const outcome = await wd("POST", `${s}/execute/async`, {
      script: `const done = arguments[arguments.length - 1];
        window.__TAURI_INTERNALS__.invoke("import_workflow_file", { path: arguments[0], replace: false }).then(done, (e) => done({ error: JSON.stringify(e) }));`,
      args: [file],
    });
    if (outcome.error) throw new Error(`import: ${outcome.error}`);
    id = outcome.id;
    await wd("POST", `${s}/refresh`, {});
  }
  // After the reload the old page may still be unloading: try again a few times.
  for (let i = 0; ; i++) {
    try {
      await exec(openList, TIMEOUT);
      break;
    } catch (e) {
      if (i > 20) throw e;
      await sleep(500);
    }
  }
  await sleep(2000); // let the start-up settle before the baseline
  const appPid = findApp(driver.pid);
  if (!appPid) throw new Error("cairn-app not found under tauri-driver");
  const before = memoryOfTree(appPid);
  const rounds = [];
  let open = null;
  const pids = treeOf(appPid);
  for (let i = 0; i < ROUNDS; i++) {
    const cpu0 = cpuOf(pids);
    const r = await exec(openEditor, id, TIMEOUT);
    const cpu1 = cpuOf(pids);
    // The web process runs the page; cairn-app answers its commands.
    showFrames(r);
    rounds.push({ ...r, cpu: (cpu1.WebKitWebProces ?? 0) - (cpu0.WebKitWebProces ?? 0), appCpu: (cpu1["cairn-app"] ?? 0) - (cpu0["cairn-app"] ?? 0) });
    if (i === 0) {
      await sleep(1000);
      open = memoryOfTree(appPid);
      // --screenshot FILE: the open editor as the window shows it (PNG).
      const shot = process.argv.indexOf("--screenshot");
      if (shot > 0) writeFileSync(process.argv[shot + 1], Buffer.from(await wd("GET", `${s}/screenshot`), "base64"));
    }
    await exec(openList, TIMEOUT);
  }
  await wd("DELETE", s);
  stop();
  report("real app (WebKitGTK, debug build)", rounds, {
    processes: before.names.join(", "),
    "before (workflow list), PSS": mib(before.pss),
    "with the editor open, PSS": mib(open.pss),
    "the editor's share, PSS": mib(open.pss - before.pss),
    "with the editor open, RSS (shared pages counted per process)": mib(open.rss),
  });
}

// --- Headless Chromium --------------------------------------------------------

function mockScript(def) {
  // @tauri-apps/api/mocks' mockIPC, inlined (its exports dropped).
  const mocks = readFileSync(join(root, "ui/node_modules/@tauri-apps/api/mocks.js"), "utf8").replace(/^export .*$/gm, "");
  const summary = { id: 1, name: def.name, status: "paused", version: 1, created_at: "2026-03-01T09:00:00Z", updated_at: "2026-03-01T09:00:00Z" };
  const answers = {
    get_workflow: [summary, def],
    workflow_catalog: { tags: [], fields: [], accounts: [{ name: "Mail", kind: "smtp" }], pipelines: [], courses: [], workflows: [def.name] },
    // What the app's validation says of the generated workflow: its emails
    // name no account (as in the app, where the file is imported as is).
    validate_workflow: {
      issues: def.nodes
        .filter((n) => n.kind === "action.send_email" && !n.config.account)
        .map((n) => ({ severity: "error", code: "missing_setting", node: n.id, message: "the account is not set" })),
    },
    list_workflow_overviews: [{ workflow: summary, active_runs: 0, completed_runs: 0, ended_runs: 0, completion_rate: null, last_error: null }],
  };
  return `${mocks}
    window.__TAURI_INTERNALS__ = window.__TAURI_INTERNALS__ ?? {};
    window.__TAURI_INTERNALS__.metadata = { currentWindow: { label: "main" }, currentWebview: { windowLabel: "main", label: "main" } };
    const answers = ${JSON.stringify(answers)};
    mockIPC((cmd) => (cmd in answers ? structuredClone(answers[cmd]) : cmd.startsWith("list_") || cmd.startsWith("recent_") ? [] : null), { shouldMockEvents: true });`;
}

function serve(dist) {
  const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".woff2": "font/woff2" };
  const server = createServer((req, res) => {
    const path = join(dist, decodeURIComponent(new URL(req.url, "http://x").pathname));
    const file = existsSync(path) && !path.endsWith("/") ? path : join(dist, "index.html");
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r(server)));
}

async function runChromium() {
  const dist = join(root, "ui/dist");
  if (!existsSync(join(dist, "index.html"))) throw new Error("ui/dist is not built: (cd ui && npm run build)");
  const server = await serve(dist);
  const url = `http://127.0.0.1:${server.address().port}/#/workflows`;
  const chrome = spawn(
    process.env.CHROMIUM ?? "/usr/bin/chromium",
    ["--headless=new", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1600,1000", "about:blank"],
    { stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"] },
  );
  const [, , , toChrome, fromChrome] = chrome.stdio;
  let nextId = 1;
  const pending = new Map();
  let buf = Buffer.alloc(0);
  fromChrome.on("data", (d) => {
    buf = Buffer.concat([buf, d]);
    for (let i = buf.indexOf(0); i >= 0; i = buf.indexOf(0)) {
      const msg = JSON.parse(buf.subarray(0, i).toString());
      buf = buf.subarray(i + 1);
      const p = pending.get(msg.id);
      if (p) {
        pending.delete(msg.id);
        if (msg.error) p.reject(new Error(JSON.stringify(msg.error)));
        else p.resolve(msg.result);
      }
    }
  });
  const cdp = (method, params = {}, sessionId) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      toChrome.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + "\0");
    });
  const { targetId } = await cdp("Target.createTarget", { url: "about:blank" });
  const { sessionId } = await cdp("Target.attachToTarget", { targetId, flatten: true });
  const page = (m, p) => cdp(m, p, sessionId);
  await page("Page.enable");
  // Durations in the main thread's CPU time, not wall time: on a loaded
  // machine the wall time also counts the time the thread waited for a core.
  await page("Performance.enable", { timeDomain: "threadTicks" });
  await page("Emulation.setDeviceMetricsOverride", { width: 1600, height: 1000, deviceScaleFactor: 1, mobile: false });
  await page("Page.addScriptToEvaluateOnNewDocument", { source: mockScript(bigWorkflow(N)) });
  await page("Page.navigate", { url });
  const run = async (fn, ...params) => {
    const r = await page("Runtime.evaluate", {
      expression: `(${fn.toString()})(${params.map((p) => JSON.stringify(p)).join(", ")})`,
      awaitPromise: true,
      returnByValue: true,
    });
    if (r.exceptionDetails) throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
    return r.result.value;
  };
  for (let i = 0; ; i++) {
    try {
      await run(openList, 5000);
      break;
    } catch (e) {
      if (i > 20) throw e;
      await sleep(250);
    }
  }
  const heap = async () => {
    await page("HeapProfiler.collectGarbage");
    const m = await page("Performance.getMetrics");
    const get = (n) => m.metrics.find((x) => x.name === n)?.value ?? 0;
    return { heap: get("JSHeapUsedSize"), nodes: get("Nodes") };
  };
  const before = await heap();
  if (args.includes("--profile")) {
    // Where the first open's time goes: self time per function, top 25.
    await page("Profiler.enable");
    await page("Profiler.setSamplingInterval", { interval: 200 });
    await page("Profiler.start");
    await run(openEditor, 1, TIMEOUT);
    const { profile } = await page("Profiler.stop");
    const self = new Map();
    const dt = (profile.endTime - profile.startTime) / profile.samples.length / 1000;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    for (const id of profile.samples) {
      const f = byId.get(id).callFrame;
      const k = `${f.functionName || "(anon)"} ${f.url.split("/").pop()}:${f.lineNumber}:${f.columnNumber}`;
      self.set(k, (self.get(k) ?? 0) + dt);
    }
    for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${v.toFixed(0).padStart(6)} ms  ${k}`);
    // Who calls the top native functions (layout reads, DOM writes): three frames up.
    const parent = new Map();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const name = (n) => `${n.callFrame.functionName || "(anon)"}@${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber}:${n.callFrame.columnNumber}`;
    const callers = new Map();
    for (const id of profile.samples) {
      const n = byId.get(id);
      if (!["getBoundingClientRect", "setAttribute", "checkVisibility"].includes(n.callFrame.functionName)) continue;
      const chain = [];
      for (let p = parent.get(id), i = 0; p && i < 4; p = parent.get(p), i++) chain.push(name(byId.get(p)));
      const k = `${n.callFrame.functionName} ← ${chain.join(" ← ")}`;
      callers.set(k, (callers.get(k) ?? 0) + dt);
    }
    for (const [k, v] of [...callers].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`${v.toFixed(0).padStart(6)} ms  ${k}`);
    await run(openList, TIMEOUT);
  }
  const busy = async () => (await page("Performance.getMetrics")).metrics.find((x) => x.name === "TaskDuration").value * 1000;
  const rounds = [];
  let open = null;
  for (let i = 0; i < ROUNDS; i++) {
    const cpu0 = await busy();
    const r = await run(openEditor, 1, TIMEOUT);
    showFrames(r);
    rounds.push({ ...r, cpu: (await busy()) - cpu0 });
    if (i === 0) open = await heap();
    await run(openList, TIMEOUT);
  }
  chrome.kill("SIGKILL");
  server.close();
  report("headless Chromium, built UI, mocked backend", rounds, {
    "JS heap before (workflow list)": mib(before.heap / 1024),
    "JS heap with the editor open": mib(open.heap / 1024),
    "DOM nodes with the editor open": String(open.nodes),
  });
}

const main = mode === "chromium" ? runChromium : mode === "app" ? runApp : null;
if (!main) {
  console.error("usage: node ui/bench/editor.mjs app|chromium [--nodes N] [--rounds R]");
  process.exit(2);
}
main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
