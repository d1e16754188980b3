// The Settings screen's housekeeping sections: running in the background
// (start at login, pause all), notifications, the database's size with
// retention and clean-up, and backup / restore.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Archive, BellRing, HardDrive, MonitorCog } from "lucide-react";
import { useEffect, useState } from "react";

import {
  type AlertPolicy,
  type ApiError,
  BACKGROUND_EVENT,
  type BackgroundStatus,
  type BackupInfo,
  type DatabaseStats,
  type MaintenanceReport,
  type RestoreReport,
  housekeepingApi,
  queryKeys,
  pickBackupDestination,
  pickBackupFile,
} from "@/api";
import { Badge, Button, Card, Dialog, ErrorPanel, Facts, Field, inputClass } from "@/components";
import { parsePercent, parseRetention, percentOf, retentionText } from "@/core/background";
import { formatBytes } from "@/core/format";
import { useTauriEvent } from "@/hooks";

import styles from "./Housekeeping.module.css";


function when(t: string | null): string {
  return t ? new Date(t).toLocaleString() : "never";
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? `1 ${one}` : `${n} ${many}`;
}

/** Re-reads the background's status whenever the tray re-reads its counts. */
function useBackgroundStatus() {
  const client = useQueryClient();
  useTauriEvent(BACKGROUND_EVENT, () => void client.invalidateQueries({ queryKey: queryKeys.backgroundStatus }));
  return useQuery<BackgroundStatus, ApiError>({ queryKey: queryKeys.backgroundStatus, queryFn: housekeepingApi.status });
}

function BackgroundCard() {
  const client = useQueryClient();
  const status = useBackgroundStatus();
  const autostart = useQuery<boolean, ApiError>({ queryKey: queryKeys.autostart, queryFn: housekeepingApi.autostartEnabled });
  const setAutostart = useMutation<boolean, ApiError, boolean>({
    mutationFn: housekeepingApi.setAutostart,
    onSuccess: (now) => client.setQueryData(queryKeys.autostart, now),
  });
  const toggle = useMutation<unknown, ApiError, "pause" | "resume">({
    mutationFn: (what) => (what === "pause" ? housekeepingApi.pauseAll() : housekeepingApi.resumeAll()),
    onSuccess: () => void client.invalidateQueries(),
  });
  const s = status.data;
  return (
    <Card icon={MonitorCog} title="Running in the background" testId="background-card" description="Closing the window keeps Cairn running in the tray, so waits fire and emails go out on time. Quit from the tray icon to stop it.">
      {status.error && <ErrorPanel title="The status could not be read" error={status.error} onRetry={() => void status.refetch()} />}
      {s && (
        <>
          <p data-testid="background-running">
            {s.running ? (
              <Badge tone="success" label="Running" />
            ) : (
              <Badge tone="warning" label="Not running here" />
            )}{" "}
            {s.running
              ? "Workflows run in this app."
              : s.held_by
                ? `Workflows run in ${s.held_by}, not in this app.`
                : "The executor could not start; the log says why."}
          </p>
          <p className={styles.muted} data-testid="background-counts">
            {plural(s.summary.waiting_runs, "run", "runs")} waiting · {s.summary.failed_runs_24h} failed in the last 24 hours ·{" "}
            {plural(s.summary.active_workflows, "active workflow", "active workflows")}
          </p>
          {s.summary.open_incidents.length > 0 && (
            <ul className={styles.incidents} data-testid="open-incidents">
              {s.summary.open_incidents.map((i) => (
                <li key={i.id}>
                  <strong>{i.title}</strong> — {i.message}
                </li>
              ))}
            </ul>
          )}
          {s.outbox_held_since && (
            <p className={styles.muted} data-testid="outbox-held">
              Nothing is sent since the database was restored: emails and webhooks wait until you choose Resume all.
            </p>
          )}
          <div className={styles.actions}>
            {(s.summary.paused_by_pause_all > 0 || s.outbox_held_since) && (
              <Button onClick={() => toggle.mutate("resume")} disabled={toggle.isPending} data-testid="resume-all">
                Resume all{s.summary.paused_by_pause_all > 0 ? ` (${s.summary.paused_by_pause_all})` : ""}
              </Button>
            )}
            <Button
              onClick={() => toggle.mutate("pause")}
              disabled={toggle.isPending || s.summary.active_workflows === 0}
              data-testid="pause-all"
            >
              Pause all workflows
            </Button>
          </div>
          {toggle.error && <ErrorPanel title="That did not work" error={toggle.error} />}
        </>
      )}
      <label className={styles.check}>
        <input
          type="checkbox"
          data-testid="autostart"
          checked={autostart.data ?? false}
          disabled={autostart.isPending || setAutostart.isPending}
          onChange={(e) => setAutostart.mutate(e.target.checked)}
        />{" "}
        Start Cairn when I log in (in the tray, without a window)
      </label>
      {(autostart.error ?? setAutostart.error) && (
        <ErrorPanel title="Start at login" error={(autostart.error ?? setAutostart.error) as ApiError} />
      )}
    </Card>
  );
}

type PolicyDraft = { enabled: boolean; percent: string; minutes: string; minSteps: string };

function draftOf(p: AlertPolicy): PolicyDraft {
  return {
    enabled: p.enabled,
    percent: percentOf(p.error_rate),
    minutes: String(p.window_minutes),
    minSteps: String(p.min_steps),
  };
}

function NotificationsCard() {
  const client = useQueryClient();
  const policy = useQuery<AlertPolicy, ApiError>({ queryKey: queryKeys.alertPolicy, queryFn: housekeepingApi.alertPolicy });
  const [draft, setDraft] = useState<PolicyDraft | null>(null);
  useEffect(() => {
    if (policy.data) setDraft(draftOf(policy.data));
  }, [policy.data]);
  const save = useMutation<AlertPolicy, ApiError, AlertPolicy>({
    mutationFn: housekeepingApi.setAlertPolicy,
    onSuccess: (p) => client.setQueryData(queryKeys.alertPolicy, p),
  });
  if (!draft) {
    return policy.error ? <ErrorPanel title="Notifications" error={policy.error} /> : null;
  }
  const rate = parsePercent(draft.percent);
  const minutes = parseRetention(draft.minutes);
  const minSteps = parseRetention(draft.minSteps);
  const valid = rate !== null && minutes !== null && minutes > 0 && minSteps !== null && minSteps > 0;
  const set = (patch: Partial<PolicyDraft>) => setDraft({ ...draft, ...patch });
  return (
    <Card icon={BellRing} title="Notifications" testId="alerts-card" description="A desktop notification when a workflow starts failing or a connected account needs attention — once per problem, not for every failure.">
      <label className={styles.check}>
        <input type="checkbox" checked={draft.enabled} onChange={(e) => set({ enabled: e.target.checked })} data-testid="alerts-enabled" />{" "}
        Notify me
      </label>
      <div className={styles.grid3}>
        <Field label="When failed steps reach (%)" htmlFor="a-rate" error={rate === null ? "A percentage above 0, at most 100." : undefined}>
          <input id="a-rate" className={inputClass} inputMode="decimal" value={draft.percent} onChange={(e) => set({ percent: e.target.value })} />
        </Field>
        <Field label="Over the last (minutes)" htmlFor="a-window" error={minutes === null || minutes === 0 ? "Whole minutes, at least 1." : undefined}>
          <input id="a-window" className={inputClass} inputMode="numeric" value={draft.minutes} onChange={(e) => set({ minutes: e.target.value })} />
        </Field>
        <Field label="With at least (steps)" htmlFor="a-min" error={minSteps === null || minSteps === 0 ? "At least 1 step." : undefined}>
          <input id="a-min" className={inputClass} inputMode="numeric" value={draft.minSteps} onChange={(e) => set({ minSteps: e.target.value })} />
        </Field>
      </div>
      {save.error && <ErrorPanel title="The notification settings were not saved" error={save.error} />}
      <div className={styles.actions}>
        {save.isSuccess && (
          <span className={styles.saved} role="status">
            Saved
          </span>
        )}
        <Button
          variant="primary"
          disabled={!valid || save.isPending}
          onClick={() =>
            valid &&
            save.mutate({ enabled: draft.enabled, error_rate: rate, window_minutes: minutes, min_steps: minSteps })
          }
          data-testid="save-alerts"
        >
          Save notifications
        </Button>
      </div>
    </Card>
  );
}

function maintenanceText(m: MaintenanceReport): string {
  const p = m.prune;
  const pruned = p.cutoff
    ? `Details of ${plural(p.runs, "finished run", "finished runs")} and ${plural(p.events, "event", "events")} removed.`
    : "Retention is off; nothing removed.";
  const space = m.converted ? "The file was compacted once." : `${plural(m.pages_freed, "free page", "free pages")} given back.`;
  return `${pruned} ${space} ${formatBytes(m.bytes_before)} → ${formatBytes(m.bytes_after)}.`;
}

function DatabaseCard() {
  const client = useQueryClient();
  const stats = useQuery<DatabaseStats, ApiError>({ queryKey: queryKeys.databaseStats, queryFn: housekeepingApi.databaseStats });
  const [days, setDays] = useState<string | null>(null);
  useEffect(() => {
    if (stats.data) setDays(String(stats.data.retention_days));
  }, [stats.data]);
  const saveRetention = useMutation<number, ApiError, number>({
    mutationFn: housekeepingApi.setRetentionDays,
    onSuccess: () => void client.invalidateQueries({ queryKey: queryKeys.databaseStats }),
  });
  const maintain = useMutation<MaintenanceReport, ApiError>({
    mutationFn: housekeepingApi.maintain,
    onSuccess: () => void client.invalidateQueries({ queryKey: queryKeys.databaseStats }),
  });
  const s = stats.data;
  const parsed = days === null ? null : parseRetention(days);
  // While the card saves or re-reads the database it re-renders under the
  // pointer; "Clean up now" waits until it has settled, so a click is either
  // taken or visibly refused — never lost in between.
  const reloading = saveRetention.isPending || stats.isFetching;
  return (
    <Card icon={HardDrive} title="Database size and retention" testId="database-hygiene" description="Finished runs older than the retention period keep their counts — analytics of old months stay exact — but lose their details: step details, trigger data, the content of sent emails. Processed events lose their payload. Nothing a waiting run may still need is removed. Cairn cleans up once a day.">
      {stats.error && <ErrorPanel title="The database size could not be read" error={stats.error} onRetry={() => void stats.refetch()} />}
      {s && (
        <>
          <Facts>
            <dt>File</dt>
            <dd data-testid="db-file-size">
              {formatBytes(s.file_bytes)} (+ {formatBytes(s.wal_bytes)} write-ahead log)
            </dd>
            <dt>Free inside</dt>
            <dd>{formatBytes(s.free_pages * s.page_size)}</dd>
            <dt>Last cleaned</dt>
            <dd data-testid="db-last-maintained">{when(s.last_maintained_at)}</dd>
          </Facts>
          <table className={styles.table} data-testid="db-tables">
            <thead>
              <tr>
                <th>Table</th>
                <th>Rows</th>
                <th>Data</th>
                <th>Indexes</th>
              </tr>
            </thead>
            <tbody>
              {s.tables
                .filter((t) => t.rows > 0 || t.bytes > s.page_size)
                .map((t) => (
                  <tr key={t.table}>
                    <td>{t.table}</td>
                    <td>{t.rows.toLocaleString()}</td>
                    <td>{s.per_table_sizes ? formatBytes(t.bytes) : "—"}</td>
                    <td>{s.per_table_sizes ? formatBytes(t.index_bytes) : "—"}</td>
                  </tr>
                ))}
            </tbody>
          </table>
          <div className={styles.row}>
            <Field
              label="Keep details of finished runs for (days)"
              htmlFor="retention-days"
              hint={parsed === null ? undefined : `Now: ${retentionText(s.retention_days)}. 0 keeps them forever.`}
              error={days !== null && parsed === null ? "Whole days, 0 to 36500." : undefined}
            >
              <input
                id="retention-days"
                data-testid="retention-days"
                className={inputClass}
                inputMode="numeric"
                value={days ?? ""}
                onChange={(e) => setDays(e.target.value)}
              />
            </Field>
            <Button
              disabled={parsed === null || parsed === s.retention_days || saveRetention.isPending}
              onClick={() => parsed !== null && saveRetention.mutate(parsed)}
              data-testid="save-retention"
            >
              Save
            </Button>
            <Button
              onClick={() => maintain.mutate()}
              disabled={maintain.isPending || reloading}
              aria-busy={reloading}
              data-testid="maintain-now"
            >
              {maintain.isPending ? "Cleaning up…" : "Clean up now"}
            </Button>
          </div>
          {maintain.data && (
            <p className={styles.ok} role="status" data-testid="maintain-result">
              {maintenanceText(maintain.data)}
            </p>
          )}
          {(saveRetention.error ?? maintain.error) && (
            <ErrorPanel title="That did not work" error={(saveRetention.error ?? maintain.error) as ApiError} />
          )}
        </>
      )}
    </Card>
  );
}

function today(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function BackupCard() {
  const client = useQueryClient();
  const [confirm, setConfirm] = useState<BackupInfo | null>(null);
  const backup = useMutation<BackupInfo | null, ApiError>({
    mutationFn: async () => {
      const path = await pickBackupDestination(`cairn-backup-${today()}.cairn`);
      return path ? housekeepingApi.backup(path) : null;
    },
  });
  const inspect = useMutation<BackupInfo | null, ApiError>({
    mutationFn: async () => {
      const path = await pickBackupFile();
      return path ? housekeepingApi.inspectBackup(path) : null;
    },
    onSuccess: (info) => setConfirm(info),
  });
  const restore = useMutation<RestoreReport, ApiError, string>({
    mutationFn: housekeepingApi.restore,
    onSuccess: () => {
      setConfirm(null);
      void client.invalidateQueries();
    },
    onError: () => setConfirm(null),
  });
  const resume = useMutation<unknown, ApiError>({
    mutationFn: housekeepingApi.resumeAll,
    onSuccess: () => void client.invalidateQueries(),
  });
  const error = backup.error ?? inspect.error ?? restore.error ?? resume.error;
  return (
    <Card icon={Archive} title="Backup and restore" testId="backup-card" description="A backup is one file holding everything: workflows, contacts, events and run history (secrets stay in the keyring). It can be made while workflows run.">
      <div className={styles.actions}>
        <Button onClick={() => inspect.mutate()} disabled={inspect.isPending || restore.isPending} data-testid="restore-start">
          Restore from a backup…
        </Button>
        <Button variant="primary" onClick={() => backup.mutate()} disabled={backup.isPending} data-testid="backup-now">
          {backup.isPending ? "Backing up…" : "Back up now…"}
        </Button>
      </div>
      {backup.data && (
        <p className={styles.ok} role="status" data-testid="backup-result">
          Backup written to <code>{backup.data.path}</code> ({formatBytes(backup.data.bytes)}:{" "}
          {plural(backup.data.contacts, "contact", "contacts")}, {plural(backup.data.workflows, "workflow", "workflows")},{" "}
          {plural(backup.data.runs, "run", "runs")}).
        </p>
      )}
      {restore.data && (
        <p className={styles.ok} role="status" data-testid="restore-result">
          Restored from <code>{restore.data.restored.path}</code>.
          {restore.data.previous_copy && (
            <>
              {" "}
              The database as it was is kept at <code>{restore.data.previous_copy}</code>.
            </>
          )}
        </p>
      )}
      {restore.data && (
        <div data-testid="restore-held">
          <p>
            On hold: {plural(restore.data.held.waiting_runs, "run", "runs")} waiting and{" "}
            {plural(restore.data.held.waiting_sends, "send", "sends")} queued. Every workflow is paused and nothing is sent until
            you resume.
          </p>
          {resume.isSuccess ? (
            <p className={styles.ok} role="status" data-testid="restore-resumed">
              Resumed: workflows run and queued sends go out.
            </p>
          ) : (
            <Button variant="primary" onClick={() => resume.mutate()} disabled={resume.isPending} data-testid="restore-resume-all">
              Resume all
            </Button>
          )}
        </div>
      )}
      {error && <ErrorPanel title="Backup and restore" error={error} />}
      {confirm && (
        <Dialog
          title="Replace everything with this backup?"
          description="Afterwards every workflow is paused and nothing is sent until you choose Resume all, so the backup's queued emails and overdue waits cannot go out by surprise."
          onClose={() => setConfirm(null)}
          testId="restore-confirm"
          footer={
            <>
              <Button onClick={() => setConfirm(null)}>Cancel</Button>
              <Button variant="primary" onClick={() => restore.mutate(confirm.path)} disabled={restore.isPending} data-testid="restore-confirm-yes">
                {restore.isPending ? "Restoring…" : "Restore"}
              </Button>
            </>
          }
        >
          <p>
            <code>{confirm.path}</code> holds {plural(confirm.contacts, "contact", "contacts")},{" "}
            {plural(confirm.workflows, "workflow", "workflows")} and {plural(confirm.runs, "run", "runs")} (
            {formatBytes(confirm.bytes)}).
          </p>
          <p className={styles.muted}>The current database is kept beside it, so this can be undone by restoring that copy.</p>
        </Dialog>
      )}
    </Card>
  );
}

/** The housekeeping sections of the Settings screen. */
export function HousekeepingSettings() {
  return (
    <>
      <BackgroundCard />
      <NotificationsCard />
      <DatabaseCard />
      <BackupCard />
    </>
  );
}
