import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Database, KeyRound, Send } from "lucide-react";
import { useEffect, useState } from "react";

import {
  type AccountView,
  type ApiError,
  type AppSettings,
  type SenderDefaults,
  type Weekday,
  accountsApi,
  queryKeys,
  settingsApi,
} from "@/api";
import { Button, Card, ErrorPanel, Facts, Field, PageHeader, inputClass, selectClass } from "@/components";
import { HousekeepingSettings } from "@/features/housekeeping";
import { formatBytes } from "@/core/format";

import styles from "./Settings.module.css";

const DAYS: { value: Weekday; label: string }[] = [
  { value: "mon", label: "Mon" },
  { value: "tue", label: "Tue" },
  { value: "wed", label: "Wed" },
  { value: "thu", label: "Thu" },
  { value: "fri", label: "Fri" },
  { value: "sat", label: "Sat" },
  { value: "sun", label: "Sun" },
];

type Draft = { smtp: string; timezone: string; window: boolean; days: Weekday[]; from: string; to: string };

function draftOf(d: SenderDefaults): Draft {
  return {
    smtp: d.smtp_account ?? "",
    timezone: d.timezone ?? "",
    window: d.send_window !== null,
    days: d.send_window?.days ?? ["mon", "tue", "wed", "thu", "fri"],
    from: d.send_window?.from ?? "09:00",
    to: d.send_window?.to ?? "17:00",
  };
}

function defaultsOf(d: Draft): SenderDefaults {
  return {
    smtp_account: d.smtp || null,
    timezone: d.timezone.trim() || null,
    send_window: d.window ? { days: d.days, from: d.from, to: d.to } : null,
  };
}

function SenderDefaultsForm({ defaults, accounts }: { defaults: SenderDefaults; accounts: AccountView[] }) {
  const client = useQueryClient();
  const [draft, setDraft] = useState<Draft>(() => draftOf(defaults));
  useEffect(() => setDraft(draftOf(defaults)), [defaults]);
  const save = useMutation<SenderDefaults, ApiError>({
    mutationFn: () => settingsApi.saveSenderDefaults(defaultsOf(draft)),
    onSuccess: () => void client.invalidateQueries({ queryKey: queryKeys.settings }),
  });
  const smtp = accounts.filter((a) => a.account.kind === "smtp");
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  return (
    <Card icon={Send} title="Sender defaults" testId="sender-defaults" description={'What new workflows and new "Send email" steps start with. Existing ones keep theirs.'}>
      <div className={styles.grid}>
        <Field
          label="Default SMTP account"
          htmlFor="s-smtp"
          hint={smtp.length ? undefined : "Connect an SMTP account on the Accounts screen first."}
        >
          <select id="s-smtp" className={selectClass} value={draft.smtp} onChange={(e) => set({ smtp: e.target.value })}>
            <option value="">None</option>
            {smtp.map((a) => (
              <option key={a.account.id} value={a.account.name}>
                {a.account.name} ({String(a.account.settings.from)})
              </option>
            ))}
          </select>
        </Field>
        <Field label="Time zone of new workflows" htmlFor="s-tz" hint="An IANA name such as Europe/Berlin; UTC when empty.">
          <input
            id="s-tz"
            className={inputClass}
            value={draft.timezone}
            placeholder={Intl.DateTimeFormat().resolvedOptions().timeZone}
            onChange={(e) => set({ timezone: e.target.value })}
          />
        </Field>
      </div>
      <label className={styles.check}>
        <input type="checkbox" checked={draft.window} onChange={(e) => set({ window: e.target.checked })} /> Only send
        email and webhooks inside a send window
      </label>
      {draft.window && (
        <div className={styles.window}>
          <div className={styles.days} role="group" aria-label="Days">
            {DAYS.map((d) => (
              <label key={d.value} className={`${styles.day} ${draft.days.includes(d.value) ? styles.dayOn : ""}`}>
                <input
                  type="checkbox"
                  checked={draft.days.includes(d.value)}
                  onChange={(e) =>
                    set({
                      days: e.target.checked
                        ? DAYS.map((x) => x.value).filter((v) => v === d.value || draft.days.includes(v))
                        : draft.days.filter((v) => v !== d.value),
                    })
                  }
                />
                {d.label}
              </label>
            ))}
          </div>
          <Field label="From" htmlFor="s-from">
            <input id="s-from" className={inputClass} type="time" value={draft.from} onChange={(e) => set({ from: e.target.value })} />
          </Field>
          <Field label="To" htmlFor="s-to">
            <input id="s-to" className={inputClass} type="time" value={draft.to} onChange={(e) => set({ to: e.target.value })} />
          </Field>
        </div>
      )}
      {save.error && <ErrorPanel title="The defaults were not saved" error={save.error} />}
      <div className={styles.actions}>
        {save.isSuccess && (
          <span className={styles.saved} role="status">
            Saved
          </span>
        )}
        <Button variant="primary" onClick={() => save.mutate()} disabled={save.isPending} data-testid="save-defaults">
          Save defaults
        </Button>
      </div>
    </Card>
  );
}

/** The Settings screen: the database, where secrets live, sender defaults. */
export function SettingsPage() {
  const settings = useQuery<AppSettings, ApiError>({ queryKey: queryKeys.settings, queryFn: settingsApi.get });
  const accounts = useQuery<AccountView[], ApiError>({ queryKey: queryKeys.accounts, queryFn: accountsApi.list });
  const s = settings.data;
  return (
    <>
      <PageHeader title="Settings" description="Where your data and secrets live, and what new workflows start with." />
      {settings.isPending && (
        <p role="status" className={styles.muted}>
          Loading settings…
        </p>
      )}
      {settings.error && (
        <ErrorPanel title="The settings could not be loaded" error={settings.error} onRetry={() => void settings.refetch()} />
      )}
      {s && (
        <div className={styles.stack}>
          <Card icon={Database} title="Database" testId="database" description="Workflows, contacts, events and the whole run history live in this one file. Back it up, or restore a backup, under Backup and restore below.">
            <Facts>
              <dt>Location</dt>
              <dd>
                <code data-testid="database-path">{s.database_path}</code>
              </dd>
              <dt>Size on disk</dt>
              <dd data-testid="database-size">{formatBytes(s.database_bytes)}</dd>
            </Facts>
          </Card>
          <Card icon={KeyRound} title="Secrets" testId="secrets" description={<>Passwords, API keys and webhook URLs of connected accounts are kept in{" "} <strong data-testid="secrets-store">{s.secrets.store}</strong>, never in the database, a workflow file or a log.</>}>
            {s.secrets.problem ? (
              <ErrorPanel title="The secret store cannot be reached" error={s.secrets.problem} onRetry={() => void settings.refetch()} />
            ) : (
              <p className={styles.ok} data-testid="secrets-ok">
                It answers: accounts can be added and used.
              </p>
            )}
          </Card>
          <SenderDefaultsForm defaults={s.defaults} accounts={accounts.data ?? []} />
          <HousekeepingSettings />
        </div>
      )}
    </>
  );
}
