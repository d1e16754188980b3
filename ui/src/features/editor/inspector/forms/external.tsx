// The settings forms of the actions that reach outside: an email over SMTP
// (with its template edited in place), a webhook, a note to the team.

import { KeyRound, Plus, Trash2, Type } from "lucide-react";

import { inputClass } from "@/components";
import type { EmailTemplate, HeaderValue } from "@/api";
import type { HttpMethod } from "@/bindings";
import { freeTemplateName, putTemplate } from "@/core/editor/edit";
import { accountsOfKind } from "@/core/editor/names";

import { DurationField, ErrorPolicyField, SelectField, TextField } from "../fields";
import styles from "../Inspector.module.css";
import { MERGE_HINT, TemplateEditor } from "../TemplateEditor";
import { type FormProps, options, setters } from "./config";

export function SendEmailForm({ node, def, names, onNode, onDef }: FormProps<"action.send_email">) {
  const { set, setOpt } = setters(node, onNode);
  const templates = def.email_templates ?? [];
  const current = templates.find((t) => t.name === node.config.template);
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
          onChange={(v) => set("template", v)}
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
          onChange={(t) => onDef(putTemplate(def, current.name, t), `template.${node.id}`)}
        />
      )}
      <SelectField
        label="Send through"
        value={node.config.account}
        options={options(accountsOfKind(names, ["smtp"]))}
        onChange={(v) => set("account", v)}
        empty="No SMTP account yet: add one on the Accounts screen."
        testId="config-account"
      />
      <p className={styles.hint}>
        {current?.kind === "transactional"
          ? "Transactional: unsubscribed contacts get it too, without an unsubscribe link; bounced addresses are skipped."
          : "Marketing: unsubscribed and bounced contacts are skipped; every email carries an unsubscribe link and header."}
      </p>
      <ErrorPolicyField policy={node.config.on_error} onChange={(p) => setOpt("on_error", p)} />
    </>
  );
}

const METHODS: HttpMethod[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

export function WebhookForm({ node, names, onNode }: FormProps<"action.webhook">) {
  const { set, setOpt } = setters(node, onNode);
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
          options={METHODS.map((m) => ({ value: m, label: m }))}
          onChange={(v) => v && set("method", v as HttpMethod)}
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
        options={options(hookAccounts)}
        onChange={(v) => setOpt("account", v)}
        testId="config-account"
      />
      <DurationField
        label="Timeout"
        hint="How long to wait for an answer (0: the default, 30s)."
        value={node.config.timeout ?? "0"}
        onChange={(v) => setOpt("timeout", v === "0" || v === "0s" ? undefined : v, true)}
      />
      <ErrorPolicyField policy={node.config.on_error} onChange={(p) => setOpt("on_error", p)} />
    </>
  );
}

export function NotifyForm({ node, names, onNode }: FormProps<"action.notify">) {
  const { set, setOpt } = setters(node, onNode);
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
        onChange={(v) => v && set("channel", v === "desktop" ? "desktop" : v === "slack" ? { slack: { account: "" } } : { email_owner: { account: "" } })}
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
      <ErrorPolicyField policy={node.config.on_error} onChange={(p) => setOpt("on_error", p)} />
    </>
  );
}
