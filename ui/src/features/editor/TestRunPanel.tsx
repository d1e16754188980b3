// The test run panel: the right-hand column while testing. It starts a dry
// run or a run sent only to a test contact, of the *saved* workflow (the
// editor saves unsaved changes first), then shows the run's steps as they
// happen — each rendered email, webhook and Slack message in full — and
// can skip the wait the run is in. The canvas lights the same steps up from
// `onRun`. Runs move on in the shell; this panel reloads the run whenever
// the shell says one of its steps changed.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { FlaskConical, FastForward, Mail, MessageSquare, Play, RotateCcw, Webhook, X } from "lucide-react";
import { useEffect, useMemo, useState } from "react";

import { Badge, type BadgeTone, Button, Field, inputClass, selectClass } from "@/components";
import {
  type ApiError,
  CHANGE_EVENT,
  type Contact,
  type RunMode,
  type RunStatus,
  type Step,
  type StepStatus,
  type TestRun,
  type WorkflowDef,
  contactsApi,
  queryKeys,
  testRunsApi,
  toApiError,
} from "@/api";
import { KIND_INFO, isKind } from "@/core/editor/kinds";
import { buildPayload, parsePayload, payloadFields, triggerNodes } from "@/core/editor/testRun";
import { effectOf, noteOf, untilOf } from "@/core/stepDetail";
import { LateNote } from "@/features/housekeeping";
import { useSettled, useTauriEvent } from "@/hooks";

import styles from "./TestRunPanel.module.css";

type Props = {
  def: WorkflowDef;
  /** The workflow's saved name (what the run starts from). */
  workflow: string;
  dirty: boolean;
  /** Saves the draft; the saved name, or null when the save was refused. */
  onSave: () => Promise<string | null>;
  /** The run shown (null when none): the canvas lights its steps up. */
  onRun: (run: TestRun | null) => void;
  onClose: () => void;
};

const RUN_STATUS: Record<RunStatus, { label: string; tone: BadgeTone }> = {
  running: { label: "Running", tone: "accent" },
  waiting: { label: "Waiting", tone: "warning" },
  completed: { label: "Completed", tone: "success" },
  exited: { label: "Exited", tone: "neutral" },
  failed: { label: "Failed", tone: "danger" },
};

const STEP_STATUS: Record<StepStatus, string> = {
  ok: "Done",
  waiting: "Waiting",
  pending: "Queued",
  failed: "Failed",
  skipped: "Skipped",
};

const when = (iso: string) => new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });

export function TestRunPanel({ def, workflow, dirty, onSave, onRun, onClose }: Props) {
  const client = useQueryClient();
  const [who, setWho] = useState<"new" | "existing">("new");
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [search, setSearch] = useState("");
  const [picked, setPicked] = useState("");
  const [mode, setMode] = useState<RunMode>("dry_run");
  const triggers = useMemo(() => triggerNodes(def), [def]);
  const [trigger, setTrigger] = useState<string>(triggers[0]?.id ?? "");
  const fields = useMemo(() => payloadFields(def, trigger || null), [def, trigger]);
  const [values, setValues] = useState<Record<string, string>>({});
  const [asJson, setAsJson] = useState(false);
  const [json, setJson] = useState("{}");
  const [error, setError] = useState<string | null>(null);

  // Existing contacts matching the search (a page of 20), asked for once the typing pauses.
  const term = useSettled(search.trim(), 200);
  const found = useQuery<Contact[], ApiError>({
    queryKey: queryKeys.contacts.testPicker(term),
    queryFn: () => contactsApi.list({ search: term || null, tag: null, status: null, sort: null, descending: false, limit: 20, offset: 0 }),
    enabled: who === "existing",
  });
  const contacts = useMemo(() => found.data ?? [], [found.data]);
  // The picked contact, or the first match when the pick is no longer among them.
  const chosen = contacts.some((c) => c.email === picked) ? picked : (contacts[0]?.email ?? "");

  // The run shown: started here, then read again whenever the shell says
  // one of its steps changed (steps lighting up).
  const [runId, setRunId] = useState<number | null>(null);
  const runKey = queryKeys.testRun(runId ?? -1);
  const runQuery = useQuery<TestRun, ApiError>({ queryKey: runKey, queryFn: () => testRunsApi.get(runId!), enabled: runId !== null });
  const run = runId === null ? null : (runQuery.data ?? null);
  const reload = () => void client.invalidateQueries({ queryKey: runKey });
  useTauriEvent(
    CHANGE_EVENT,
    (c) => {
      if (c.type === "run_started" || c.type === "woke" || c.type === "fault" || c.run_id !== runId) return;
      reload();
    },
    // What moved on before the listener was in place.
    { enabled: runId !== null, onReady: reload },
  );
  const show = (r: TestRun) => {
    client.setQueryData(queryKeys.testRun(r.run.id), r);
    setRunId(r.run.id);
  };

  useEffect(() => onRun(run), [run, onRun]);

  const startRun = useMutation<TestRun, ApiError, { address: string; payload: Record<string, unknown> }>({
    mutationFn: async ({ address, payload }) => {
      const saved = dirty ? await onSave() : workflow;
      if (saved === null) throw new Error("The workflow could not be saved, so the test did not start: see the message at the top.");
      if (who === "new") {
        try {
          await contactsApi.add({ email: address, name: name.trim() || null, status: null, timezone: null, fields: {}, tags: [], is_test: true });
        } catch (e) {
          const err = toApiError(e);
          if (err.code !== "conflict") throw err;
          // Already a contact: the test runs for that contact.
        }
      }
      return testRunsApi.start({ workflow: saved, contact_email: address, trigger: trigger || null, payload, mode });
    },
    onSuccess: show,
    onError: (e) => setError(toApiError(e).message),
  });

  const skipWait = useMutation<TestRun, ApiError, number>({
    mutationFn: (id) => testRunsApi.skipWait(id),
    onSuccess: show,
    onError: (e) => setError(toApiError(e).message),
  });

  const busy = startRun.isPending || skipWait.isPending;
  const shownError = error ?? (who === "existing" && !run && found.error ? found.error.message : null);

  const start = () => {
    setError(null);
    let payload: Record<string, unknown>;
    if (asJson) {
      const p = parsePayload(json);
      if ("error" in p) {
        setError(p.error);
        return;
      }
      payload = p.payload;
    } else {
      payload = buildPayload(values);
    }
    const address = who === "new" ? email.trim() : chosen;
    if (!address) {
      setError(who === "new" ? "Give the test contact an email address." : "Pick a contact to run the workflow for.");
      return;
    }
    startRun.mutate({ address, payload });
  };

  const skip = () => {
    if (!run) return;
    setError(null);
    skipWait.mutate(run.run.id);
  };

  const status = run ? RUN_STATUS[run.run.status] : null;

  return (
    <aside className={styles.panel} aria-label="Test run" data-testid="test-run-panel">
      <header className={styles.head}>
        <span className={styles.icon} aria-hidden>
          <FlaskConical size={16} />
        </span>
        <div className={styles.headText}>
          <h2>Test run</h2>
          <p className={styles.blurb}>Runs the saved version for one contact. Nothing reaches your real contacts.</p>
        </div>
        <button type="button" className={styles.close} onClick={onClose} aria-label="Close the test run panel" data-testid="test-run-close">
          <X size={16} aria-hidden />
        </button>
      </header>
      <div className={styles.scroll}>
        {!run ? (
          <div className={styles.form}>
            <section className={styles.section}>
              <h3>Contact</h3>
              <div className={styles.segmented} role="radiogroup" aria-label="Contact">
                <button type="button" role="radio" aria-checked={who === "new"} onClick={() => setWho("new")} data-testid="test-contact-new">
                  New test contact
                </button>
                <button type="button" role="radio" aria-checked={who === "existing"} onClick={() => setWho("existing")} data-testid="test-contact-existing">
                  Existing contact
                </button>
              </div>
              {who === "new" ? (
                <>
                  <Field label="Email" htmlFor="test-email" hint="Marked as a test contact; an existing address is reused.">
                    <input id="test-email" className={inputClass} type="email" value={email} onChange={(e) => setEmail(e.target.value)} placeholder="you+test@example.com" data-testid="test-email" />
                  </Field>
                  <Field label="Name" htmlFor="test-name">
                    <input id="test-name" className={inputClass} value={name} onChange={(e) => setName(e.target.value)} placeholder="Test Contact" data-testid="test-name" />
                  </Field>
                </>
              ) : (
                <>
                  <Field label="Find a contact" htmlFor="test-search">
                    <input id="test-search" className={inputClass} value={search} onChange={(e) => setSearch(e.target.value)} placeholder="Email or name" data-testid="test-search" />
                  </Field>
                  <Field label="Contact" htmlFor="test-contact" {...(contacts.length === 0 ? { hint: "No contact matches." } : {})}>
                    <select id="test-contact" className={selectClass} value={chosen} onChange={(e) => setPicked(e.target.value)} data-testid="test-contact">
                      {contacts.map((c) => (
                        <option key={c.id} value={c.email}>
                          {c.name ? `${c.name} <${c.email}>` : c.email}
                        </option>
                      ))}
                    </select>
                  </Field>
                </>
              )}
            </section>
            <section className={styles.section}>
              <h3>Mode</h3>
              <div className={styles.modes} role="radiogroup" aria-label="Mode">
                <ModeChoice id="dry_run" mode={mode} setMode={setMode} title="Dry run" text="Nothing is sent. See each email, webhook and Slack message exactly as it would go out." />
                <ModeChoice id="test" mode={mode} setMode={setMode} title="Send to the test contact" text="Emails go to this contact's address only; webhooks and Slack messages are shown, not sent." />
              </div>
            </section>
            <section className={styles.section}>
              <h3>Trigger</h3>
              {triggers.length === 0 ? (
                <p className={styles.warn}>This workflow has no trigger yet: add one from the palette.</p>
              ) : (
                <>
                  {triggers.length > 1 && (
                    <Field label="Start from" htmlFor="test-trigger">
                      <select id="test-trigger" className={selectClass} value={trigger} onChange={(e) => setTrigger(e.target.value)} data-testid="test-trigger">
                        {triggers.map((t) => (
                          <option key={t.id} value={t.id}>
                            {t.label?.trim() || (isKind(t.kind) ? KIND_INFO[t.kind].title : t.kind)}
                          </option>
                        ))}
                      </select>
                    </Field>
                  )}
                  {asJson ? (
                    <Field label="Payload (JSON)" htmlFor="test-json">
                      <textarea id="test-json" className={`${inputClass} ${styles.mono}`} rows={6} value={json} onChange={(e) => setJson(e.target.value)} data-testid="test-json" />
                    </Field>
                  ) : fields.length === 0 ? (
                    <p className={styles.hint}>This trigger&apos;s run reads no payload fields.</p>
                  ) : (
                    fields.map((f) => (
                      <Field key={f.path} label={f.path} htmlFor={`payload-${f.path}`} hint={f.hint}>
                        <input
                          id={`payload-${f.path}`}
                          className={inputClass}
                          value={values[f.path] ?? ""}
                          onChange={(e) => setValues((v) => ({ ...v, [f.path]: e.target.value }))}
                          data-testid={`payload-${f.path}`}
                        />
                      </Field>
                    ))
                  )}
                  <button
                    type="button"
                    className={styles.link}
                    onClick={() => {
                      if (!asJson) setJson(JSON.stringify(buildPayload(values), null, 2));
                      setAsJson((a) => !a);
                    }}
                    data-testid="test-payload-mode"
                  >
                    {asJson ? "Use the form" : "Edit the payload as JSON"}
                  </button>
                </>
              )}
            </section>
            {shownError && (
              <p className={styles.error} role="alert" data-testid="test-run-error">
                {shownError}
              </p>
            )}
            <div className={styles.footer}>
              {dirty && <p className={styles.hint}>Unsaved changes are saved first: the test runs the saved version.</p>}
              <Button variant="primary" onClick={start} disabled={busy || triggers.length === 0} data-testid="test-run-start">
                <Play size={16} aria-hidden /> {dirty ? "Save and start" : "Start test run"}
              </Button>
            </div>
          </div>
        ) : (
          <div className={styles.result} data-testid="test-run" data-run-id={run.run.id} data-status={run.run.status}>
            <div className={styles.runHead}>
              <div className={styles.runTitle}>
                <strong>Run {run.run.id}</strong>
                <span data-testid="test-run-status">{status && <Badge tone={status.tone} label={status.label} />}</span>
              </div>
              <p className={styles.hint}>
                {run.run.mode === "dry_run" ? "Dry run" : "Sent to the test contact"} · {run.run.contact_email} · version {run.run.version}
              </p>
            </div>
            {run.wait_until && (
              <div className={styles.waitBox}>
                <span>
                  Waiting until <strong>{when(run.wait_until)}</strong>
                </span>
                <Button onClick={skip} disabled={busy} data-testid="test-run-skip">
                  <FastForward size={16} aria-hidden /> Skip the wait
                </Button>
              </div>
            )}
            {shownError && (
              <p className={styles.error} role="alert" data-testid="test-run-error">
                {shownError}
              </p>
            )}
            <ol className={styles.steps} data-testid="test-run-steps">
              {run.steps.map((s) => (
                <StepRow key={s.id} step={s} def={def} />
              ))}
            </ol>
            <div className={styles.footer}>
              <Button
                onClick={() => {
                  setRunId(null);
                  setError(null);
                }}
                data-testid="test-run-again"
              >
                <RotateCcw size={16} aria-hidden /> New test run
              </Button>
            </div>
          </div>
        )}
      </div>
    </aside>
  );
}

function ModeChoice({ id, mode, setMode, title, text }: { id: RunMode; mode: RunMode; setMode: (m: RunMode) => void; title: string; text: string }) {
  return (
    <label className={`${styles.mode} ${mode === id ? styles.modeOn : ""}`} data-testid={`test-mode-${id}`}>
      <input type="radio" name="test-mode" checked={mode === id} onChange={() => setMode(id)} />
      <span>
        <strong>{title}</strong>
        <span className={styles.hint}>{text}</span>
      </span>
    </label>
  );
}

function nodeTitle(def: WorkflowDef, step: Step): string {
  const n = def.nodes.find((x) => x.id === step.node_id);
  if (n?.label?.trim()) return n.label;
  return isKind(step.kind) ? KIND_INFO[step.kind].title : step.kind;
}

function StepRow({ step, def }: { step: Step; def: WorkflowDef }) {
  const effect = effectOf(step);
  const note = noteOf(step);
  const until = untilOf(step);
  return (
    <li className={`${styles.step} ${styles[`step_${step.status}`]}`} data-testid="test-step" data-node-id={step.node_id} data-status={step.status}>
      <div className={styles.stepHead}>
        <span className={styles.dot} aria-hidden />
        <span className={styles.stepName}>{nodeTitle(def, step)}</span>
        <span className={styles.stepStatus}>{STEP_STATUS[step.status]}</span>
        <LateNote step={step} />
      </div>
      {until && step.status === "waiting" && <p className={styles.stepNote}>Until {when(until)}</p>}
      {effect?.kind === "email" && (
        <div className={styles.effect} data-testid="test-email-preview">
          <div className={styles.effectHead}>
            <Mail size={13} aria-hidden /> To {effect.to}
          </div>
          <div className={styles.subject} data-testid="test-email-subject">
            {effect.subject}
          </div>
          {/* No scripts, no same origin, no network: the email's HTML is only shown. */}
          {effect.html && (
            <iframe title={`The email “${effect.subject}”`} className={styles.frame} sandbox="" srcDoc={effect.html} data-testid="test-email-html" />
          )}
          {effect.text && (
            <details className={styles.textPart}>
              <summary>Plain-text part</summary>
              <pre className={styles.body}>{effect.text}</pre>
            </details>
          )}
        </div>
      )}
      {effect?.kind === "webhook" && (
        <div className={styles.effect}>
          <div className={styles.effectHead}>
            <Webhook size={13} aria-hidden /> {effect.method} {effect.url}
          </div>
          {effect.body && <pre className={styles.body}>{effect.body}</pre>}
        </div>
      )}
      {effect?.kind === "slack" && (
        <div className={styles.effect}>
          <div className={styles.effectHead}>
            <MessageSquare size={13} aria-hidden /> Slack · {effect.account}
          </div>
          <pre className={styles.body}>{effect.text}</pre>
        </div>
      )}
      {effect?.kind === "desktop" && (
        <div className={styles.effect}>
          <div className={styles.effectHead}>{effect.title}</div>
          <pre className={styles.body}>{effect.body}</pre>
        </div>
      )}
      {note && <p className={step.status === "failed" ? styles.stepError : styles.stepNote}>{note}</p>}
    </li>
  );
}
