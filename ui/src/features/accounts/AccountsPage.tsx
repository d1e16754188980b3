import { useMutation, useQuery } from "@tanstack/react-query";
import { CircleCheck, KeyRound, PlugZap, Plus, RefreshCw, Trash2, TriangleAlert } from "lucide-react";
import { useState } from "react";

import { type AccountView, type ApiError, type ApiErrorCode, type AppSettings, type SyncSummary, accountsApi, queryKeys, settingsApi } from "@/api";
import { Badge, Button, Dialog, EmptyState, ErrorPanel, PageHeader } from "@/components";
import { kindSpec } from "@/core/accountForms";
import { formatIn, sourceSummary } from "@/core/format";
import { formatRelative } from "@/core/time";

import styles from "./Accounts.module.css";
import { AddAccountDialog } from "./AddAccountDialog";
import { CourseLinks } from "./CourseLinks";
import { useAccounts, useRefreshAccounts } from "./useAccounts";

type Outcome = { ok: boolean; text: string; code?: ApiErrorCode };

function syncText(s: SyncSummary): Outcome {
  if (s.outcome === "synced")
    return { ok: true, text: `Synced: ${s.new} new event${s.new === 1 ? "" : "s"}, ${s.duplicates} already known${s.ignored ? `, ${s.ignored} ignored` : ""}.` };
  return { ok: false, text: s.message ?? s.outcome, code: s.code ?? undefined };
}

/** A public feed and a webhook account without signing have no secret to keep. */
function needsNoSecret(v: AccountView): boolean {
  const s = v.account.settings;
  if (v.account.kind === "json_feed") return !s.auth_header;
  if (v.account.kind === "webhook") return s.signed === false;
  return false;
}

function AccountCard({ view, now }: { view: AccountView; now: Date }) {
  const a = view.account;
  const refresh = useRefreshAccounts();
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [confirming, setConfirming] = useState(false);
  const done = () => void refresh();
  const test = useMutation<string, ApiError>({
    mutationFn: () => accountsApi.test(a.name),
    onSuccess: (text) => setOutcome({ ok: true, text }),
    onError: (e) => setOutcome({ ok: false, text: e.message, code: e.code }),
    onSettled: done,
  });
  const sync = useMutation<SyncSummary, ApiError>({
    mutationFn: () => accountsApi.sync(a.name),
    onSuccess: (s) => setOutcome(syncText(s)),
    onError: (e) => setOutcome({ ok: false, text: e.message, code: e.code }),
    onSettled: done,
  });
  const remove = useMutation<null, ApiError>({
    mutationFn: () => accountsApi.remove(a.name),
    onSuccess: () => {
      setConfirming(false);
      done();
    },
  });
  const healthy = a.status === "ok";
  const busy = test.isPending || sync.isPending || remove.isPending;

  return (
    <li className={styles.card} data-testid="account" data-account={a.name}>
      <div className={styles.cardHead}>
        <div className={styles.identity}>
          <span className={styles.name} data-testid="account-name">
            {a.name}
          </span>
          <span className={styles.kind}>{kindSpec(a.kind)?.label ?? a.kind}</span>
        </div>
        <span data-testid="account-status">
          {healthy ? <Badge tone="success" label="ok" /> : <Badge tone="warning" label="needs attention" />}
        </span>
      </div>
      {!healthy && a.status_message && outcome?.text !== a.status_message && (
        <p className={styles.attention} data-testid="account-status-message">
          <TriangleAlert size={14} aria-hidden /> {a.status_message}
        </p>
      )}
      <dl className={styles.facts}>
        {a.kind === "smtp" && (
          <>
            <dt>Server</dt>
            <dd>
              {String(a.settings.host)}:{String(a.settings.port)} · {String(a.settings.security)}
            </dd>
            <dt>From</dt>
            <dd>{String(a.settings.from)}</dd>
            <dt>Limits</dt>
            <dd>
              {String(a.settings.rate_per_second)}/s · {String(a.settings.rate_per_day)}/day
            </dd>
          </>
        )}
        {view.is_source && (
          <>
            {sourceSummary(a.kind, a.settings) && (
              <>
                <dt>Reads</dt>
                <dd>{sourceSummary(a.kind, a.settings)}</dd>
              </>
            )}
            <dt>Last sync</dt>
            <dd data-testid="account-last-sync">
              {a.last_poll_at ? formatRelative(a.last_poll_at, now) : "not yet"}
              {a.next_poll_at && healthy && <span className={styles.muted}> · next {formatIn(a.next_poll_at, now)}</span>}
            </dd>
            <dt>Events up to</dt>
            <dd data-testid="account-cursor">
              {view.cursor_at ? `${formatRelative(view.cursor_at, now)}` : "nothing read yet"}
            </dd>
          </>
        )}
        <dt>Secret</dt>
        <dd data-testid="account-secret-state">
          {view.secret.state === "stored" && (
            <span className={styles.secretOk}>
              <KeyRound size={13} aria-hidden /> in the keyring
            </span>
          )}
          {view.secret.state === "missing" && (
            <span className={styles.muted}>{needsNoSecret(view) ? "none needed" : "none stored"}</span>
          )}
          {view.secret.state === "unknown" && <span className={styles.attentionText}>cannot be checked</span>}
        </dd>
      </dl>
      {view.warning && <p className={styles.attention}>{view.warning}</p>}
      {(a.kind === "thinkific" || a.kind === "teachable") && <CourseLinks account={a.name} />}
      {outcome && (
        <p
          className={outcome.ok ? styles.resultOk : styles.resultBad}
          data-testid="account-result"
          data-code={outcome.code}
          role={outcome.ok ? "status" : "alert"}
        >
          {outcome.ok ? <CircleCheck size={14} aria-hidden /> : <TriangleAlert size={14} aria-hidden />} {outcome.text}
        </p>
      )}
      <div className={styles.actions}>
        <Button onClick={() => test.mutate()} disabled={busy} data-testid="test-account">
          {test.isPending ? "Testing…" : "Test connection"}
        </Button>
        {view.is_source && (
          <Button onClick={() => sync.mutate()} disabled={busy} data-testid="sync-account">
            <RefreshCw size={14} aria-hidden /> {sync.isPending ? "Syncing…" : "Sync now"}
          </Button>
        )}
        <Button onClick={() => setConfirming(true)} disabled={busy} className={styles.remove} data-testid="remove-account">
          <Trash2 size={14} aria-hidden /> Remove
        </Button>
      </div>
      {confirming && (
        <Dialog
          title={`Remove ${a.name}?`}
          description="Its settings leave the database and its secret leaves the keyring. Workflows naming it will stop sending through it."
          onClose={() => setConfirming(false)}
          footer={
            <>
              <Button onClick={() => setConfirming(false)}>Keep it</Button>
              <Button variant="primary" onClick={() => remove.mutate()} disabled={remove.isPending} data-testid="confirm-remove">
                Remove
              </Button>
            </>
          }
        >
          {remove.error && <ErrorPanel title="The account was not removed" error={remove.error} />}
        </Dialog>
      )}
    </li>
  );
}

/** The Accounts screen: what Cairn sends through and what it polls. */
export function AccountsPage() {
  const accounts = useAccounts();
  const [adding, setAdding] = useState(false);
  const now = new Date();
  // Where secrets go, asked before anyone types one: without a reachable
  // keyring, adding an account cannot work, and the vault says what to do.
  const settings = useQuery<AppSettings, ApiError>({ queryKey: queryKeys.settings, queryFn: settingsApi.get });
  const unknown = accounts.data?.find((v) => v.secret.state === "unknown")?.secret;
  const vaultProblem = settings.data?.secrets.problem ?? (unknown?.state === "unknown" ? unknown : null);
  const sending = accounts.data?.filter((v) => !v.is_source) ?? [];
  const sources = accounts.data?.filter((v) => v.is_source) ?? [];

  return (
    <>
      <PageHeader
        title="Accounts"
        description="The services Cairn sends through and the ones it polls for events. Secrets stay in the OS keyring."
        actions={
          <Button variant="primary" onClick={() => setAdding(true)} data-testid="add-account">
            <Plus size={16} aria-hidden /> Connect an account
          </Button>
        }
      />
      {accounts.isPending && (
        <p role="status" className={styles.muted}>
          Loading accounts…
        </p>
      )}
      {accounts.error && (
        <ErrorPanel title="The accounts could not be loaded" error={accounts.error} onRetry={() => void accounts.refetch()} />
      )}
      {vaultProblem && (
        <div className={styles.vaultProblem} data-testid="vault-problem">
          <ErrorPanel
            title="Secrets cannot be stored right now"
            error={vaultProblem}
            onRetry={() => {
              void settings.refetch();
              void accounts.refetch();
            }}
          />
        </div>
      )}
      {accounts.data?.length === 0 && (
        <EmptyState icon={PlugZap} title="No accounts connected" testId="accounts-empty">
          <p>
            Connect an SMTP server so workflows can send email, and the services your customers use (Stripe, Shopify,
            Typeform, Mailgun, Postmark or any JSON feed) so their purchases, orders and answers start workflows.
          </p>
          <div>
            <Button variant="primary" onClick={() => setAdding(true)}>
              <Plus size={16} aria-hidden /> Connect an account
            </Button>
          </div>
        </EmptyState>
      )}
      {sending.length > 0 && (
        <section className={styles.group}>
          <h2>Sending</h2>
          <ul className={styles.list} data-testid="sending-accounts">
            {sending.map((v) => (
              <AccountCard key={v.account.id} view={v} now={now} />
            ))}
          </ul>
        </section>
      )}
      {sources.length > 0 && (
        <section className={styles.group}>
          <h2>Polled for events</h2>
          <ul className={styles.list} data-testid="source-accounts">
            {sources.map((v) => (
              <AccountCard key={v.account.id} view={v} now={now} />
            ))}
          </ul>
        </section>
      )}
      {adding && <AddAccountDialog onClose={() => setAdding(false)} />}
    </>
  );
}
