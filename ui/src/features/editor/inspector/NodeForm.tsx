// The settings form of each node kind. Every setting has a real input
// (pickers for names, duration and time inputs, a condition builder), never
// raw JSON. Optional settings left empty are left out of the draft, so the
// file stays as the model writes it.

import { ArrowDown, ArrowUp, KeyRound, Plus, Trash2, Type } from "lucide-react";

import { inputClass } from "@/components";
import type { Condition, EmailTemplate, ErrorPolicy, Filter, HeaderValue, LatePolicy, Node, WorkflowDef } from "@/api";
import { putTemplate, freeTemplateName } from "@/core/editor/edit";
import { COMMON_EVENTS } from "@/core/editor/events";
import { type Names, accountsOfKind } from "@/core/editor/names";
import { withOptional } from "@/core/editor/objects";

import { ConditionBuilder } from "./ConditionBuilder";
import {
  CheckField,
  ComboField,
  DurationField,
  ErrorPolicyField,
  FiltersField,
  LatePolicyField,
  NumberField,
  SelectField,
  TextField,
  TimeField,
  WeekdaysField,
  ZoneRefField,
} from "./fields";
import styles from "./Inspector.module.css";
import { MERGE_HINT, TemplateEditor } from "./TemplateEditor";

export type NodeFormProps = {
  node: Node;
  def: WorkflowDef;
  names: Names;
  /** A changed node; `key` groups keystrokes in one field into one undo step. */
  onNode: (next: Node, key?: string) => void;
  onDef: (next: WorkflowDef, key?: string) => void;
};

const opt = withOptional;

const options = (list: string[]) => list.map((v) => ({ value: v, label: v }));

export function NodeForm({ node, def, names, onNode, onDef }: NodeFormProps) {
  // Replace the whole config, or set one key (dropped when empty and `optional`).
  const config = (c: object, key?: string) => onNode({ ...node, config: c } as Node, key && `${node.id}.${key}`);
  const set = (key: string, value: unknown, text = false) =>
    config({ ...(node.config as object), [key]: value }, text ? key : undefined);
  const setOpt = (key: string, value: unknown, text = false) => config(opt(node.config as object, key, value), text ? key : undefined);
  const filters = (f: Filter[]) => setOpt("filters", f, true);
  const policy = (p: ErrorPolicy | undefined) => setOpt("on_error", p);
  const late = (l: LatePolicy | undefined) => setOpt("late", l);

  const dateFields = names.fields.filter((f) => f.type === "date").map((f) => f.name);
  const pipeline = (name: string) => names.pipelines.find((p) => p.name.toLowerCase() === name.trim().toLowerCase());

  switch (node.kind) {
    case "trigger.contact_created":
    case "trigger.purchase_completed":
    case "trigger.refund_issued":
      return <FiltersField filters={node.config.filters ?? []} onChange={filters} />;
    case "trigger.form_submitted":
      return (
        <>
          <TextField
            label="Form (optional)"
            hint="The form's id or name at the form tool; empty for any form."
            value={node.config.form ?? ""}
            onChange={(v) => setOpt("form", v, true)}
            testId="config-form"
          />
          <FiltersField filters={node.config.filters ?? []} onChange={filters} />
        </>
      );
    case "trigger.tag_added":
    case "trigger.tag_removed":
      return (
        <>
          <ComboField label="Tag" value={node.config.tag} suggestions={names.tags} onChange={(v) => set("tag", v, true)} testId="config-tag" />
          <FiltersField filters={node.config.filters ?? []} onChange={filters} />
        </>
      );
    case "trigger.link_clicked":
      return (
        <>
          <TextField
            label="Link contains (optional)"
            hint="Only links whose address contains this text."
            value={node.config.url_contains ?? ""}
            onChange={(v) => setOpt("url_contains", v, true)}
            testId="config-url-contains"
          />
          <SelectField
            label="In the email"
            placeholder="Any email"
            value={node.config.email ?? ""}
            options={options(names.templates)}
            onChange={(v) => setOpt("email", v)}
            testId="config-email"
          />
          <FiltersField filters={node.config.filters ?? []} onChange={filters} />
        </>
      );
    case "trigger.email_opened":
    case "trigger.email_replied":
      return (
        <>
          <SelectField
            label="Email"
            placeholder="Any email"
            value={node.config.email ?? ""}
            options={options(names.templates)}
            onChange={(v) => setOpt("email", v)}
            testId="config-email"
          />
          <FiltersField filters={node.config.filters ?? []} onChange={filters} />
        </>
      );
    case "trigger.course_progress":
      return (
        <>
          <ComboField label="Course" value={node.config.course} suggestions={names.courses} onChange={(v) => set("course", v, true)} testId="config-course" />
          <NumberField
            label="At least (%)"
            value={node.config.at_least_percent}
            min={1}
            max={100}
            onChange={(v) => set("at_least_percent", Math.round(v))}
            testId="config-percent"
          />
          <FiltersField filters={node.config.filters ?? []} onChange={filters} />
        </>
      );
    case "trigger.course_completed":
      return (
        <>
          <ComboField label="Course" value={node.config.course} suggestions={names.courses} onChange={(v) => set("course", v, true)} testId="config-course" />
          <FiltersField filters={node.config.filters ?? []} onChange={filters} />
        </>
      );
    case "trigger.deal_stage_changed": {
      const p = pipeline(node.config.pipeline);
      return (
        <>
          <SelectField
            label="Pipeline"
            value={node.config.pipeline}
            options={options(names.pipelines.map((x) => x.name))}
            onChange={(v) => config(opt({ ...node.config, pipeline: v }, "stage", undefined))}
            empty="No pipelines yet: they come with a deal action or an imported workflow."
            testId="config-pipeline"
          />
          <SelectField
            label="Into stage"
            placeholder="Any stage"
            value={node.config.stage ?? ""}
            options={options(p?.stages ?? [])}
            onChange={(v) => setOpt("stage", v)}
            testId="config-stage"
          />
          <FiltersField filters={node.config.filters ?? []} onChange={filters} />
        </>
      );
    }
    case "trigger.date": {
      const c = node.config;
      const fixed = c.date !== undefined;
      const off = c.offset_days ?? 0;
      return (
        <>
          <SelectField
            label="Runs on"
            placeholder="—"
            value={fixed ? "date" : "field"}
            options={[
              { value: "field", label: "A date in each contact's record" },
              { value: "date", label: "A fixed date" },
            ]}
            onChange={(v) =>
              config(
                v === "date"
                  ? { date: "2026-01-01", time: c.time, ...(c.timezone ? { timezone: c.timezone } : {}), ...(c.audience ? { audience: c.audience } : {}) }
                  : { field: "", time: c.time, ...(c.timezone ? { timezone: c.timezone } : {}), ...(c.audience ? { audience: c.audience } : {}) },
              )
            }
            testId="config-date-mode"
          />
          {fixed ? (
            <DateField value={c.date ?? ""} onChange={(v) => set("date", v)} />
          ) : (
            <>
              <SelectField
                label="Date field"
                value={c.field ?? ""}
                options={options(dateFields)}
                onChange={(v) => set("field", v)}
                empty="No date fields yet: define one (such as birthday) on the Contacts screen."
                testId="config-field"
              />
              <div className={styles.row}>
                <NumberField label="Days" value={Math.abs(off)} min={0} max={3650} onChange={(v) => setOpt("offset_days", off < 0 ? -Math.round(v) : Math.round(v))} testId="config-offset" />
                <SelectField
                  label="Before or after"
                  placeholder="—"
                  value={off < 0 ? "before" : "after"}
                  options={[
                    { value: "before", label: "before the date" },
                    { value: "after", label: "after the date" },
                  ]}
                  onChange={(v) => setOpt("offset_days", v === "before" ? -Math.abs(off) : Math.abs(off))}
                />
              </div>
              <CheckField label="Every year (an anniversary)" checked={c.yearly ?? false} onChange={(v) => setOpt("yearly", v || undefined)} />
            </>
          )}
          <TimeField label="At" value={c.time} onChange={(v) => set("time", v)} testId="config-time" />
          <ZoneRefField label="In" value={c.timezone} onChange={(z) => setOpt("timezone", z)} />
          <Audience value={c.audience} onChange={(a) => setOpt("audience", a)} names={names} />
        </>
      );
    }
    case "trigger.schedule": {
      const c = node.config;
      return (
        <>
          <SelectField
            label="Every"
            placeholder="—"
            value={c.every}
            options={[
              { value: "day", label: "Day" },
              { value: "week", label: "Week, on chosen days" },
            ]}
            onChange={(v) => v && config(v === "day" ? opt({ ...c, every: "day" }, "weekdays", undefined) : { ...c, every: "week", weekdays: c.weekdays ?? ["mon"] })}
            testId="config-every"
          />
          {c.every === "week" && <WeekdaysField label="On" value={c.weekdays ?? []} onChange={(d) => setOpt("weekdays", d)} />}
          <TimeField label="At" value={c.time} onChange={(v) => set("time", v)} testId="config-time" />
          <ZoneRefField label="In" value={c.timezone} onChange={(z) => setOpt("timezone", z)} />
          <Audience value={c.audience} onChange={(a) => setOpt("audience", a)} names={names} everyone="Every subscribed contact" />
        </>
      );
    }
    case "trigger.manual":
      return <p className={styles.note}>Runs start when you add a contact by hand or start a test run. Nothing to set.</p>;
    case "trigger.event":
      return (
        <>
          <ComboField
            label="Event type"
            value={node.config.event_type}
            suggestions={COMMON_EVENTS}
            placeholder="webinar.attended"
            onChange={(v) => set("event_type", v, true)}
            testId="config-event-type"
          />
          <FiltersField filters={node.config.filters ?? []} onChange={filters} />
        </>
      );
    case "condition":
      return (
        <div className={styles.group}>
          <span className={styles.groupLabel}>Runs take “Yes” when</span>
          <ConditionBuilder value={node.config.condition} onChange={(c) => set("condition", c, true)} names={names} />
        </div>
      );
    case "branch": {
      const paths = node.config.paths;
      const setPaths = (p: typeof paths, key?: string) => config({ paths: p }, key);
      return (
        <>
          <p className={styles.note}>Paths are tried in order; the first whose condition holds wins. Runs that match none go “Otherwise”.</p>
          {paths.map((p, i) => (
            <div key={i} className={styles.path} data-testid="branch-path">
              <div className={styles.pathHead}>
                <TextField
                  label={`Path ${i + 1} name`}
                  value={p.name}
                  onChange={(name) => setPaths(paths.map((x, j) => (j === i ? { ...x, name } : x)), `path${i}`)}
                  testId="path-name"
                />
                <div className={styles.pathButtons}>
                  <button type="button" className={styles.iconButton} disabled={i === 0} aria-label="Move up" onClick={() => setPaths(swap(paths, i, i - 1))}>
                    <ArrowUp size={15} aria-hidden />
                  </button>
                  <button type="button" className={styles.iconButton} disabled={i === paths.length - 1} aria-label="Move down" onClick={() => setPaths(swap(paths, i, i + 1))}>
                    <ArrowDown size={15} aria-hidden />
                  </button>
                  <button type="button" className={styles.iconButton} aria-label="Remove path" onClick={() => setPaths(paths.filter((_, j) => j !== i))}>
                    <Trash2 size={15} aria-hidden />
                  </button>
                </div>
              </div>
              <ConditionBuilder
                value={p.condition}
                onChange={(condition) => setPaths(paths.map((x, j) => (j === i ? { ...x, condition } : x)), `path${i}c`)}
                names={names}
              />
            </div>
          ))}
          <button
            type="button"
            className={styles.addButton}
            onClick={() => setPaths([...paths, { name: freePathName(paths.map((x) => x.name)), condition: { all: [{ has_tag: "" }] } }])}
            data-testid="add-path"
          >
            <Plus size={14} aria-hidden /> Add path
          </button>
        </>
      );
    }
    case "end":
      return <p className={styles.note}>The run is complete here; it counts towards the completion rate.</p>;
    case "wait.duration":
      return (
        <>
          <DurationField label="Wait for" value={node.config.duration} onChange={(v) => set("duration", v, true)} testId="config-duration" />
          <LatePolicyField late={node.config.late} onChange={late} />
        </>
      );
    case "wait.until_time":
      return (
        <>
          <WeekdaysField label="Until the next" hint="None selected: the next day at that time." value={node.config.weekdays ?? []} onChange={(d) => setOpt("weekdays", d)} />
          <TimeField label="At" value={node.config.time} onChange={(v) => set("time", v)} testId="config-time" />
          <ZoneRefField label="In" value={node.config.timezone} onChange={(z) => setOpt("timezone", z)} />
          <LatePolicyField late={node.config.late} onChange={late} />
        </>
      );
    case "wait.until_date": {
      const off = node.config.offset_days ?? 0;
      return (
        <>
          <SelectField
            label="Date field"
            value={node.config.field}
            options={options(dateFields)}
            onChange={(v) => set("field", v)}
            empty="No date fields yet: define one on the Contacts screen."
            testId="config-field"
          />
          <div className={styles.row}>
            <NumberField label="Days" value={Math.abs(off)} min={0} max={3650} onChange={(v) => setOpt("offset_days", off < 0 ? -Math.round(v) : Math.round(v))} />
            <SelectField
              label="Before or after"
              placeholder="—"
              value={off < 0 ? "before" : "after"}
              options={[
                { value: "before", label: "before the date" },
                { value: "after", label: "after the date" },
              ]}
              onChange={(v) => setOpt("offset_days", v === "before" ? -Math.abs(off) : Math.abs(off))}
            />
          </div>
          <TimeField label="At" value={node.config.time} onChange={(v) => set("time", v)} />
          <ZoneRefField label="In" value={node.config.timezone} onChange={(z) => setOpt("timezone", z)} />
          <p className={styles.hint}>When the field is empty or the moment has passed, the run goes on at once.</p>
          <LatePolicyField late={node.config.late} onChange={late} />
        </>
      );
    }
    case "wait.for_event":
      return (
        <>
          <ComboField
            label="Event type"
            value={node.config.event_type}
            suggestions={COMMON_EVENTS}
            placeholder="purchase.completed"
            onChange={(v) => set("event_type", v, true)}
            testId="config-event-type"
          />
          <TextField
            label="Same as the trigger’s (optional)"
            hint="Payload keys that must match the trigger event, comma-separated, such as order_id."
            value={(node.config.correlate ?? []).join(", ")}
            onChange={(v) =>
              setOpt(
                "correlate",
                v.split(",").map((x) => x.trim()).filter(Boolean),
                true,
              )
            }
            testId="config-correlate"
          />
          <FiltersField label="Whose payload matches" filters={node.config.filters ?? []} onChange={filters} />
          <DurationField label="Give up after" hint="Then the run takes the “Timed out” exit." value={node.config.timeout} onChange={(v) => set("timeout", v, true)} testId="config-timeout" />
          <LatePolicyField late={node.config.late} onChange={late} />
        </>
      );
    case "action.send_email":
      return <SendEmailForm node={node} def={def} names={names} onNode={onNode} onDef={onDef} />;
    case "action.add_tag":
    case "action.remove_tag":
      return (
        <>
          <ComboField label="Tag" value={node.config.tag} suggestions={names.tags} onChange={(v) => set("tag", v, true)} testId="config-tag" />
          <ErrorPolicyField policy={node.config.on_error} onChange={policy} />
        </>
      );
    case "action.set_field":
      return (
        <>
          <SelectField
            label="Field"
            value={node.config.field}
            options={options(names.fields.map((f) => f.name).filter((f) => f !== "email" && f !== "tags"))}
            onChange={(v) => set("field", v)}
            testId="config-field"
          />
          <TextField label="Value" hint={`A value, or merge fields such as {{ trigger.amount }}.`} value={node.config.value} onChange={(v) => set("value", v, true)} testId="config-value" />
          <ErrorPolicyField policy={node.config.on_error} onChange={policy} />
        </>
      );
    case "action.create_deal":
    case "action.move_deal": {
      const p = pipeline(node.config.pipeline);
      return (
        <>
          <SelectField
            label="Pipeline"
            value={node.config.pipeline}
            options={options(names.pipelines.map((x) => x.name))}
            onChange={(v) => config({ ...node.config, pipeline: v, stage: "" })}
            empty="No pipelines yet: import a workflow that declares one, or create deals from the Contacts screen."
            testId="config-pipeline"
          />
          <SelectField label="Stage" value={node.config.stage} options={options(p?.stages ?? [])} onChange={(v) => set("stage", v)} testId="config-stage" />
          {node.kind === "action.create_deal" && (
            <>
              <TextField label="Title (optional)" hint="Defaults to the contact's name." value={node.config.title ?? ""} onChange={(v) => setOpt("title", v, true)} />
              <TextField label="Value (optional)" hint="Such as {{ trigger.amount }}." value={node.config.value ?? ""} onChange={(v) => setOpt("value", v, true)} />
            </>
          )}
          <ErrorPolicyField policy={node.config.on_error} onChange={policy} />
        </>
      );
    }
    case "action.enroll_course":
    case "action.unenroll_course":
      return (
        <>
          <ComboField label="Course" value={node.config.course} suggestions={names.courses} onChange={(v) => set("course", v, true)} testId="config-course" />
          <ErrorPolicyField policy={node.config.on_error} onChange={policy} />
        </>
      );
    case "action.start_workflow":
    case "action.remove_from_workflow":
      return (
        <>
          <SelectField
            label="Workflow"
            value={node.config.workflow}
            options={options(names.workflows)}
            onChange={(v) => set("workflow", v)}
            empty="There are no other workflows yet."
            testId="config-workflow"
          />
          <ErrorPolicyField policy={node.config.on_error} onChange={policy} />
        </>
      );
    case "action.webhook":
      return <WebhookForm node={node} names={names} set={set} setOpt={setOpt} policy={policy} />;
    case "action.notify": {
      const ch = node.config.channel;
      const kind = ch === "desktop" ? "desktop" : "slack" in ch ? "slack" : "email_owner";
      const account = ch === "desktop" ? "" : "slack" in ch ? ch.slack.account : ch.email_owner.account;
      return (
        <>
          <SelectField
            label="Tell the team by"
            placeholder="—"
            value={kind}
            options={[
              { value: "slack", label: "Slack message" },
              { value: "desktop", label: "Desktop notification" },
              { value: "email_owner", label: "Email to the owner" },
            ]}
            onChange={(v) =>
              v && set("channel", v === "desktop" ? "desktop" : v === "slack" ? { slack: { account: "" } } : { email_owner: { account: "" } })
            }
            testId="config-channel"
          />
          {kind !== "desktop" && (
            <SelectField
              label={kind === "slack" ? "Slack account" : "SMTP account (its owner address)"}
              value={account}
              options={options(accountsOfKind(names, kind === "slack" ? ["slack"] : ["smtp"]))}
              onChange={(v) => set("channel", kind === "slack" ? { slack: { account: v } } : { email_owner: { account: v } })}
              empty={`No ${kind === "slack" ? "Slack" : "SMTP"} account yet: add one on the Accounts screen.`}
              testId="config-account"
            />
          )}
          <TextField
            label="Message"
            rows={3}
            hint={MERGE_HINT}
            value={node.config.message}
            placeholder="New sale: {{ contact.email }} bought {{ trigger.product }}"
            onChange={(v) => set("message", v, true)}
            testId="config-message"
          />
          <ErrorPolicyField policy={node.config.on_error} onChange={policy} />
        </>
      );
    }
    case "action.unsubscribe":
      return (
        <>
          <p className={styles.note}>The contact is marked unsubscribed: no workflow sends them email again.</p>
          <ErrorPolicyField policy={node.config.on_error} onChange={policy} />
        </>
      );
  }
}

function swap<T>(list: T[], i: number, j: number): T[] {
  const out = [...list];
  [out[i], out[j]] = [out[j]!, out[i]!];
  return out;
}

function freePathName(taken: string[]): string {
  for (let n = taken.length + 1; ; n++) if (!taken.includes(`Path ${n}`)) return `Path ${n}`;
}

/** A fixed calendar date, "2026-09-01". */
function DateField({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  return (
    <TextField
      label="Date"
      hint="Year-month-day, such as 2026-09-01."
      value={value}
      onChange={(v) => {
        if (/^\d{4}-\d{2}-\d{2}$/.test(v.trim()) && !Number.isNaN(Date.parse(`${v.trim()}T00:00:00Z`))) onChange(v.trim());
      }}
      testId="config-date"
    />
  );
}

/** An optional condition narrowing the contacts a date or schedule trigger runs for. */
function Audience({
  value,
  onChange,
  names,
  everyone = "Every contact with the date",
}: {
  value: Condition | undefined;
  onChange: (c: Condition | undefined) => void;
  names: Names;
  everyone?: string;
}) {
  return (
    <div className={styles.group}>
      <CheckField
        label="Only contacts matching a condition"
        hint={value ? undefined : `Off: ${everyone.toLowerCase()}.`}
        checked={value !== undefined}
        onChange={(on) => onChange(on ? { all: [{ has_tag: "" }] } : undefined)}
        testId="config-audience"
      />
      {value && <ConditionBuilder value={value} onChange={onChange} names={names} />}
    </div>
  );
}

function SendEmailForm({ node, def, names, onNode, onDef }: NodeFormProps & { node: Extract<Node, { kind: "action.send_email" }> }) {
  const templates = def.email_templates ?? [];
  const current = templates.find((t) => t.name === node.config.template);
  const pick = (name: string) => onNode({ ...node, config: { ...node.config, template: name } });
  const createTemplate = () => {
    const name = freeTemplateName(def);
    const t: EmailTemplate = { name, subject: "", body: "" };
    const next = putTemplate(def, null, t);
    onDef({
      ...next,
      nodes: next.nodes.map((n) => (n.id === node.id ? { ...node, config: { ...node.config, template: name } } : n)),
    });
  };
  return (
    <>
      <div className={styles.templatePick}>
        <SelectField
          label="Email"
          value={node.config.template}
          options={options(templates.map((t) => t.name))}
          onChange={pick}
          empty="This workflow has no emails yet."
          testId="config-template"
        />
        <button type="button" className={styles.addButton} onClick={createTemplate} data-testid="new-template">
          <Plus size={14} aria-hidden /> New email
        </button>
      </div>
      {current && (
        <TemplateEditor
          template={current}
          nameTaken={(n) => templates.some((t) => t !== current && t.name.toLowerCase() === n.trim().toLowerCase())}
          onChange={(t) => {
            const next = putTemplate(def, current.name, t);
            onDef(next, `template.${node.id}`);
          }}
        />
      )}
      <SelectField
        label="Send through"
        value={node.config.account}
        options={options(accountsOfKind(names, ["smtp"]))}
        onChange={(v) => onNode({ ...node, config: { ...node.config, account: v } })}
        empty="No SMTP account yet: add one on the Accounts screen."
        testId="config-account"
      />
      <p className={styles.hint}>
        {current?.kind === "transactional"
          ? "Transactional: unsubscribed contacts get it too, without an unsubscribe link; bounced addresses are skipped."
          : "Marketing: unsubscribed and bounced contacts are skipped; every email carries an unsubscribe link and header."}
      </p>
      <ErrorPolicyField
        policy={node.config.on_error}
        onChange={(p) => onNode({ ...node, config: opt(node.config, "on_error", p) })}
      />
    </>
  );
}

function WebhookForm({
  node,
  names,
  set,
  setOpt,
  policy,
}: {
  node: Extract<Node, { kind: "action.webhook" }>;
  names: Names;
  set: (key: string, value: unknown, text?: boolean) => void;
  setOpt: (key: string, value: unknown, text?: boolean) => void;
  policy: (p: ErrorPolicy | undefined) => void;
}) {
  const headers: [string, HeaderValue][] = Object.entries(node.config.headers ?? {});
  const setHeaders = (rows: [string, HeaderValue][]) => setOpt("headers", rows.length ? Object.fromEntries(rows) : undefined, true);
  const hookAccounts = accountsOfKind(names, ["webhook"]);
  return (
    <>
      <div className={styles.row}>
        <SelectField
          label="Method"
          placeholder="—"
          value={node.config.method}
          options={["GET", "POST", "PUT", "PATCH", "DELETE"].map((m) => ({ value: m, label: m }))}
          onChange={(v) => v && set("method", v)}
          testId="config-method"
        />
      </div>
      <TextField label="URL" placeholder="https://example.com/hooks/{{ contact.email }}" value={node.config.url} onChange={(v) => set("url", v, true)} testId="config-url" mono />
      <div className={styles.group}>
        <span className={styles.groupLabel}>Headers</span>
        {headers.map(([k, v], i) => {
          const put = (value: HeaderValue) => setHeaders(headers.map((h, j) => (j === i ? [h[0], value] : h)));
          return (
            <div key={i} className={styles.headerRow}>
              <input
                className={`${inputClass} ${styles.mono}`}
                aria-label="Header name"
                value={k}
                onChange={(e) => setHeaders(headers.map((h, j) => (j === i ? [e.target.value, h[1]] : h)))}
              />
              {typeof v === "string" ? (
                <input className={inputClass} aria-label="Header value" value={v} onChange={(e) => put(e.target.value)} />
              ) : (
                <span className={styles.headerSecret}>
                  <input
                    className={`${inputClass} ${styles.mono}`}
                    aria-label="Text before the secret"
                    placeholder="Bearer "
                    value={v.prefix ?? ""}
                    onChange={(e) => put(e.target.value ? { ...v, prefix: e.target.value } : { secret: v.secret })}
                  />
                  <select
                    className={inputClass}
                    aria-label="Secret of account"
                    value={v.secret}
                    onChange={(e) => put(v.prefix ? { secret: e.target.value, prefix: v.prefix } : { secret: e.target.value })}
                  >
                    {[...new Set([v.secret, ...hookAccounts])].map((a) => (
                      <option key={a} value={a}>
                        {a || "Choose a webhook account"}
                      </option>
                    ))}
                  </select>
                </span>
              )}
              <button
                type="button"
                className={styles.iconButton}
                aria-label={typeof v === "string" ? "Use a webhook account's secret" : "Use text"}
                title={typeof v === "string" ? "Use a webhook account's secret" : "Use text"}
                onClick={() => put(typeof v === "string" ? { secret: hookAccounts[0] ?? "" } : "")}
              >
                {typeof v === "string" ? <KeyRound size={15} aria-hidden /> : <Type size={15} aria-hidden />}
              </button>
              <button type="button" className={styles.iconButton} aria-label="Remove header" onClick={() => setHeaders(headers.filter((_, j) => j !== i))}>
                <Trash2 size={15} aria-hidden />
              </button>
            </div>
          );
        })}
        <button type="button" className={styles.addButton} onClick={() => setHeaders([...headers, [`X-Header-${headers.length + 1}`, ""]])}>
          <Plus size={14} aria-hidden /> Add header
        </button>
        <p className={styles.hint}>
          Credentials never go in as text: a header such as Authorization takes a webhook account&apos;s secret (the key button), read from the
          keyring when the request is sent.
        </p>
      </div>
      <TextField
        label="Body (JSON template, optional)"
        rows={5}
        mono
        placeholder={'{"email": "{{ contact.email }}", "product": "{{ trigger.product }}"}'}
        value={node.config.body ?? ""}
        onChange={(v) => setOpt("body", v, true)}
        testId="config-body"
      />
      <SelectField
        label="Sign with (optional)"
        placeholder="No signature"
        value={node.config.account ?? ""}
        options={options(accountsOfKind(names, ["webhook"]))}
        onChange={(v) => setOpt("account", v)}
        testId="config-account"
      />
      <DurationField
        label="Timeout"
        hint="How long to wait for an answer (0: the default, 30s)."
        value={node.config.timeout ?? "0"}
        onChange={(v) => setOpt("timeout", v === "0" || v === "0s" ? undefined : v, true)}
      />
      <ErrorPolicyField policy={node.config.on_error} onChange={policy} />
    </>
  );
}
