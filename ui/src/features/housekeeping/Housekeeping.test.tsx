import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { emit } from "@tauri-apps/api/event";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { act, cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import type { BackgroundStatus, BackupInfo, DatabaseStats } from "@/api";

import { HousekeepingSettings } from "./HousekeepingSettings";
import { LateNote } from "./LateNote";
import { WakeNotice } from "./WakeNotice";

const stats: DatabaseStats = {
  path: "/home/ada/.local/share/cairn/cairn.db",
  file_bytes: 12 * 1024 * 1024,
  wal_bytes: 512 * 1024,
  page_size: 4096,
  page_count: 3072,
  free_pages: 10,
  auto_vacuum: "incremental",
  schema_version: 4,
  tables: [
    { table: "steps", rows: 120_000, bytes: 6 * 1024 * 1024, index_bytes: 3 * 1024 * 1024 },
    { table: "contacts", rows: 2_000, bytes: 300 * 1024, index_bytes: 200 * 1024 },
    { table: "incidents", rows: 0, bytes: 4096, index_bytes: 4096 },
  ],
  per_table_sizes: true,
  retention_days: 90,
  last_maintained_at: null,
};

const status: BackgroundStatus = {
  running: true,
  held_by: null,
  summary: { waiting_runs: 3, failed_runs_24h: 1, active_workflows: 2, paused_by_pause_all: 0, open_incidents: [] },
  outbox_held_since: null,
};

const backup: BackupInfo = {
  path: "/backups/monday.cairn",
  bytes: 2 * 1024 * 1024,
  schema_version: 4,
  contacts: 2000,
  workflows: 5,
  runs: 900,
};

type Call = { cmd: string; args: Record<string, unknown> };

function backend(overrides: Record<string, unknown> = {}): Call[] {
  const calls: Call[] = [];
  const answers: Record<string, unknown> = {
    background_status: status,
    autostart_enabled: false,
    set_autostart: true,
    alert_policy: { enabled: true, error_rate: 0.05, window_minutes: 60, min_steps: 20 },
    database_stats: stats,
    set_retention_days: 30,
    backup_database: backup,
    inspect_backup: backup,
    restore_database: {
      restored: backup,
      previous_copy: "/d/cairn.db.before-restore-20260105-090000",
      schema_version: 4,
      held: { paused_workflows: ["Welcome", "Receipts"], waiting_runs: 12, waiting_sends: 3 },
    },
    resume_all_workflows: { changed: ["Welcome", "Receipts"], left: [], released_outbox: true },
    ...overrides,
  };
  mockIPC(
    (cmd, args) => {
      calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
      if (cmd.startsWith("plugin:event")) return 1;
      if (cmd === "set_alert_policy") return (args as { policy: unknown }).policy;
      const answer = answers[cmd];
      return typeof answer === "function" ? (answer as () => unknown)() : (answer ?? null);
    },
    { shouldMockEvents: true },
  );
  return calls;
}

function renderIt(node: React.ReactNode) {
  return render(<QueryClientProvider client={new QueryClient()}>{node}</QueryClientProvider>);
}

afterEach(() => {
  // Unmount (and stop listening) while the mocked event plugin still exists.
  cleanup();
  clearMocks();
  delete window.__cairnPickedPaths;
});

describe("HousekeepingSettings", () => {
  it("shows what the database holds and saves a retention", async () => {
    const calls = backend();
    renderIt(<HousekeepingSettings />);
    expect(await screen.findByTestId("db-file-size")).toHaveTextContent("12 MB (+ 512 KB write-ahead log)");
    const rows = within(screen.getByTestId("db-tables")).getAllByRole("row");
    expect(rows.map((r) => r.textContent)).toEqual([
      "TableRowsDataIndexes",
      `steps${(120_000).toLocaleString()}6.0 MB3.0 MB`,
      `contacts${(2_000).toLocaleString()}300 KB200 KB`,
    ]);
    expect(screen.getByTestId("db-last-maintained")).toHaveTextContent("never");
    const input = screen.getByTestId("retention-days");
    await userEvent.clear(input);
    await userEvent.type(input, "30");
    await userEvent.click(screen.getByTestId("save-retention"));
    await waitFor(() => expect(calls.find((c) => c.cmd === "set_retention_days")?.args).toEqual({ days: 30 }));
    await userEvent.clear(input);
    await userEvent.type(input, "-1");
    expect(screen.getByText("Whole days, 0 to 36500.")).toBeInTheDocument();
    expect(screen.getByTestId("save-retention")).toBeDisabled();
  });

  it("takes Clean up now only once the card has re-read the database, and one click then cleans up", async () => {
    // The re-read after saving a retention waits until the test lets it go.
    let reads = 0;
    let release = () => {};
    const calls = backend({
      database_stats: () => {
        reads += 1;
        if (reads === 1) return stats;
        return new Promise((resolve) => {
          release = () => resolve({ ...stats, retention_days: 30 });
        });
      },
      maintain_database: {
        prune: { runs: 4, steps: 20, outbox: 0, events: 7, events_kept: 0, runs_kept: 0, cutoff: "2025-12-06T09:00:00Z" },
        converted: false,
        pages_freed: 12,
        checkpoint: { truncate: true, busy: false, log_frames: 0, checkpointed_frames: 0, wal_bytes_before: 0, wal_bytes_after: 0 },
        bytes_before: 12 * 1024 * 1024,
        bytes_after: 11 * 1024 * 1024,
      },
    });
    renderIt(<HousekeepingSettings />);
    const input = await screen.findByTestId("retention-days");
    const cleanUp = screen.getByTestId("maintain-now");
    expect(cleanUp).toBeEnabled();
    await userEvent.clear(input);
    await userEvent.type(input, "30");
    await userEvent.click(screen.getByTestId("save-retention"));
    // Saved; the card is re-reading: the button says so and takes no click.
    await waitFor(() => expect(reads).toBe(2));
    expect(cleanUp).toBeDisabled();
    expect(cleanUp).toHaveAttribute("aria-busy", "true");
    await userEvent.click(cleanUp);
    expect(calls.some((c) => c.cmd === "maintain_database")).toBe(false);
    act(() => release());
    await waitFor(() => expect(cleanUp).toBeEnabled());
    await userEvent.click(cleanUp);
    expect(await screen.findByTestId("maintain-result")).toHaveTextContent("12 free pages given back.");
    expect(calls.filter((c) => c.cmd === "maintain_database")).toHaveLength(1);
  });

  it("says where workflows run and turns start at login on", async () => {
    const calls = backend();
    renderIt(<HousekeepingSettings />);
    expect(await screen.findByTestId("background-counts")).toHaveTextContent(
      "3 runs waiting · 1 failed in the last 24 hours · 2 active workflows",
    );
    const box = await screen.findByTestId("autostart");
    await waitFor(() => expect(box).toBeEnabled());
    await userEvent.click(box);
    await waitFor(() => expect(calls.find((c) => c.cmd === "set_autostart")?.args).toEqual({ enabled: true }));
    await waitFor(() => expect(screen.getByTestId("autostart")).toBeChecked());
  });

  it("names who runs the workflows when this app does not", async () => {
    backend({ background_status: { ...status, running: false, held_by: "cairn run (pid 4242)" } });
    renderIt(<HousekeepingSettings />);
    expect(await screen.findByTestId("background-running")).toHaveTextContent(
      "Workflows run in cairn run (pid 4242), not in this app.",
    );
  });

  it("saves the notification threshold as a share", async () => {
    const calls = backend();
    renderIt(<HousekeepingSettings />);
    const rate = await screen.findByLabelText("When failed steps reach (%)");
    expect(rate).toHaveValue("5");
    await userEvent.clear(rate);
    await userEvent.type(rate, "2.5");
    await userEvent.click(screen.getByTestId("save-alerts"));
    await waitFor(() =>
      expect(calls.find((c) => c.cmd === "set_alert_policy")?.args).toEqual({
        policy: { enabled: true, error_rate: 0.025, window_minutes: 60, min_steps: 20 },
      }),
    );
  });

  it("backs up to the chosen file and restores only after confirmation", async () => {
    const calls = backend();
    renderIt(<HousekeepingSettings />);
    window.__cairnPickedPaths = ["/backups/monday.cairn", "/backups/monday.cairn"];
    await userEvent.click(await screen.findByTestId("backup-now"));
    expect(await screen.findByTestId("backup-result")).toHaveTextContent("/backups/monday.cairn");
    expect(calls.find((c) => c.cmd === "backup_database")?.args).toEqual({ path: "/backups/monday.cairn" });

    await userEvent.click(screen.getByTestId("restore-start"));
    const dialog = await screen.findByTestId("restore-confirm");
    expect(dialog).toHaveTextContent("2000 contacts, 5 workflows and 900 runs");
    expect(calls.some((c) => c.cmd === "restore_database")).toBe(false);
    await userEvent.click(within(dialog).getByTestId("restore-confirm-yes"));
    expect(await screen.findByTestId("restore-result")).toHaveTextContent(
      "The database as it was is kept at /d/cairn.db.before-restore-20260105-090000",
    );
    expect(calls.filter((c) => c.cmd === "restore_database")).toHaveLength(1);
    // The restored database is on hold until the user resumes.
    expect(screen.getByTestId("restore-held")).toHaveTextContent("On hold: 12 runs waiting and 3 sends queued.");
    expect(calls.some((c) => c.cmd === "resume_all_workflows")).toBe(false);
    await userEvent.click(screen.getByTestId("restore-resume-all"));
    expect(await screen.findByTestId("restore-resumed")).toBeInTheDocument();
    expect(calls.filter((c) => c.cmd === "resume_all_workflows")).toHaveLength(1);
  });

  it("offers Resume all while the outbox is held after a restore", async () => {
    const calls = backend({
      background_status: {
        ...status,
        summary: { ...status.summary, active_workflows: 0 },
        outbox_held_since: "2026-01-05T09:00:00Z",
      },
    });
    renderIt(<HousekeepingSettings />);
    expect(await screen.findByTestId("outbox-held")).toHaveTextContent("Nothing is sent since the database was restored");
    await userEvent.click(screen.getByTestId("resume-all"));
    await waitFor(() => expect(calls.filter((c) => c.cmd === "resume_all_workflows")).toHaveLength(1));
  });

  it("shows a refused restore with its code", async () => {
    backend();
    mockIPC(
      (cmd) => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- the shell rejects with a plain {code, message}
        if (cmd === "inspect_backup") throw { code: "newer_database", message: "written by a newer version of Cairn" };
        if (cmd === "database_stats") return stats;
        if (cmd === "background_status") return status;
        return null;
      },
      { shouldMockEvents: true },
    );
    renderIt(<HousekeepingSettings />);
    window.__cairnPickedPaths = ["/backups/future.cairn"];
    await userEvent.click(await screen.findByTestId("restore-start"));
    const panel = await screen.findByTestId("error-panel");
    expect(panel).toHaveAttribute("data-code", "newer_database");
    expect(screen.queryByTestId("restore-confirm")).not.toBeInTheDocument();
  });
});

describe("WakeNotice", () => {
  it("appears when the executor says it woke, with the late count", async () => {
    backend();
    renderIt(<WakeNotice />);
    expect(screen.queryByTestId("wake-notice")).not.toBeInTheDocument();
    // Let the listener register before the event is emitted.
    await waitFor(async () => {
      await emit("cairn://change", { type: "woke", gap_secs: 8 * 3600, late_waits: 3 });
      expect(screen.getByTestId("wake-notice")).toBeInTheDocument();
    });
    expect(screen.getByTestId("wake-notice")).toHaveTextContent("Cairn was asleep for 8 h; 3 waits fired late.");
    await userEvent.click(screen.getByRole("button", { name: "Dismiss" }));
    expect(screen.queryByTestId("wake-notice")).not.toBeInTheDocument();
  });

  it("ignores other changes", async () => {
    backend();
    renderIt(<WakeNotice />);
    // First make sure the listener runs: a `woke` shows the notice; dismiss it.
    await waitFor(async () => {
      await emit("cairn://change", { type: "woke", gap_secs: 60, late_waits: 0 });
      expect(screen.getByTestId("wake-notice")).toBeInTheDocument();
    });
    await userEvent.click(screen.getByRole("button", { name: "Dismiss" }));
    expect(screen.queryByTestId("wake-notice")).not.toBeInTheDocument();
    // Now every change reaches it, and act() lets React render what it did.
    await act(async () => {
      await emit("cairn://change", { type: "run_started", run_id: 1, workflow_id: 1, contact_id: 1 });
      await emit("cairn://change", { type: "run_ended", run_id: 1, workflow_id: 1, status: "completed" });
    });
    expect(screen.queryByTestId("wake-notice")).not.toBeInTheDocument();
  });
});

describe("LateNote", () => {
  it("marks a late step and nothing else", () => {
    const { rerender } = render(<LateNote step={{ detail: { late_by_secs: 21_600, late: "fired 6 h late" }, status: "ok" }} />);
    expect(screen.getByTestId("late-note")).toHaveTextContent("fired 6 h late");
    rerender(<LateNote step={{ detail: { tag: "x", changed: true }, status: "ok" }} />);
    expect(screen.queryByTestId("late-note")).not.toBeInTheDocument();
  });
});
