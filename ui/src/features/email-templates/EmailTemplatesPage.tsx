import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Mail } from "lucide-react";
import { useEffect, useState } from "react";

import {
  type ApiError,
  type Contact,
  type EmailTemplate,
  type RenderedEmail,
  type SaveOutcome,
  type TemplateEntry,
  contactsApi,
  emailTemplatesApi,
  queryKeys,
} from "@/api";
import { Badge, Button, EmptyState, ErrorPanel, Field, PageHeader, inputClass, selectClass } from "@/components";
import { buildContactQuery, defaultFilters } from "@/core/contactQuery";
import { KIND_HINTS, withKind } from "@/core/editor/emailKind";
import { useSettled } from "@/hooks";

import styles from "./EmailTemplates.module.css";

const entryKey = (e: TemplateEntry) => `${e.workflow_id}/${e.template.name}`;

function Preview({ entry, draft, contactId }: { entry: TemplateEntry; draft: EmailTemplate; contactId: number | null }) {
  // Typing → one preview when it pauses, not one per key.
  const settled = useSettled(draft, 250);
  const preview = useQuery<RenderedEmail, ApiError>({
    queryKey: queryKeys.emailPreview(entry.workflow, settled, contactId, entry.senders[0]?.account ?? null),
    queryFn: () => emailTemplatesApi.preview(entry.workflow, settled, contactId, entry.senders[0]?.account ?? null),
    placeholderData: (prev) => prev,
  });
  if (preview.error)
    return (
      <div className={styles.mergeError} role="alert" data-testid="preview-error" data-code={preview.error.code}>
        <strong>This template cannot be rendered</strong>
        <p>{preview.error.message}</p>
        <p className={styles.muted}>
          Merge fields are <code>{"{{ contact.first_name }}"}</code>, <code>{"{{ contact.email }}"}</code>, your custom
          fields as <code>{"{{ contact.FIELD }}"}</code>, <code>{"{{ trigger.… }}"}</code> for the event that started
          the run, <code>{"{{ workflow.name }}"}</code> and <code>{"{{ unsubscribe_url }}"}</code>.
        </p>
      </div>
    );
  if (!preview.data) return <p className={styles.muted}>Rendering…</p>;
  const r = preview.data;
  return (
    <div className={styles.preview} data-testid="preview">
      <div className={styles.previewSubject}>
        <span className={styles.muted}>Subject</span>
        <strong data-testid="preview-subject">{r.subject}</strong>
      </div>
      {/* No scripts, no same origin, no network: the email's HTML is only shown. */}
      <iframe title="HTML part" className={styles.frame} sandbox="" srcDoc={r.html} data-testid="preview-html" />
      <details className={styles.textPart}>
        <summary>Plain-text part</summary>
        <pre data-testid="preview-text">{r.text}</pre>
      </details>
    </div>
  );
}

function Editor({ entry, contacts }: { entry: TemplateEntry; contacts: Contact[] }) {
  const client = useQueryClient();
  const [draft, setDraft] = useState<EmailTemplate>(entry.template);
  const [contactId, setContactId] = useState<number | null>(null);
  useEffect(() => setDraft(entry.template), [entry]);
  const dirty =
    draft.subject !== entry.template.subject ||
    draft.body !== entry.template.body ||
    (draft.kind ?? "marketing") !== (entry.template.kind ?? "marketing") ||
    (draft.preheader ?? "") !== (entry.template.preheader ?? "");
  const save = useMutation<SaveOutcome, ApiError>({
    mutationFn: () => emailTemplatesApi.save(entry.workflow_id, { ...draft, preheader: draft.preheader?.trim() ? draft.preheader : undefined }),
    onSuccess: () => void client.invalidateQueries({ queryKey: queryKeys.emailTemplates }),
  });

  return (
    <div className={styles.editor} data-testid="template-editor">
      <div className={styles.editorHead}>
        <div>
          <h2>{entry.template.name}</h2>
          <p className={styles.muted}>
            In <strong>{entry.workflow}</strong> v{entry.version}
            {entry.senders.length > 0 &&
              ` · sent by ${entry.senders.map((s) => `${s.label ?? s.node} (${s.account})`).join(", ")}`}
          </p>
        </div>
        <div className={styles.editorActions}>
          {save.data && !dirty && (
            <span className={styles.saved} role="status">
              {save.data.unchanged ? "No changes" : save.data.new_version ? `Saved as version ${save.data.version}` : "Saved"}
            </span>
          )}
          <Button onClick={() => setDraft(entry.template)} disabled={!dirty}>
            Discard
          </Button>
          <Button variant="primary" onClick={() => save.mutate()} disabled={!dirty || save.isPending} data-testid="save-template">
            {save.isPending ? "Saving…" : "Save"}
          </Button>
        </div>
      </div>
      {save.error && <ErrorPanel title="The template was not saved" error={save.error} />}
      <div className={styles.split}>
        <div className={styles.fields}>
          <Field label="Subject" htmlFor="t-subject">
            <input
              id="t-subject"
              className={inputClass}
              value={draft.subject}
              onChange={(e) => setDraft({ ...draft, subject: e.target.value })}
              data-testid="template-subject"
            />
          </Field>
          <Field label="Kind" htmlFor="t-kind" hint={KIND_HINTS[draft.kind ?? "marketing"]}>
            <select
              id="t-kind"
              className={selectClass}
              value={draft.kind ?? "marketing"}
              onChange={(e) => setDraft(withKind(draft, e.target.value === "transactional" ? "transactional" : "marketing"))}
              data-testid="template-kind"
            >
              <option value="marketing">Marketing</option>
              <option value="transactional">Transactional</option>
            </select>
          </Field>
          <Field label="Preview text (optional)" htmlFor="t-pre" hint="Shown by mail apps after the subject.">
            <input
              id="t-pre"
              className={inputClass}
              value={draft.preheader ?? ""}
              onChange={(e) => setDraft({ ...draft, preheader: e.target.value })}
            />
          </Field>
          <Field
            label="Body (Markdown)"
            htmlFor="t-body"
            hint="**bold**, [a link](https://…), lists; merge fields in {{ }} arrive as text (|safe takes one as Markdown)."
          >
            <textarea
              id="t-body"
              className={`${inputClass} ${styles.body}`}
              value={draft.body}
              onChange={(e) => setDraft({ ...draft, body: e.target.value })}
              spellCheck
              data-testid="template-body"
            />
          </Field>
        </div>
        <div className={styles.previewColumn}>
          <Field label="Preview for" htmlFor="t-contact">
            <select
              id="t-contact"
              className={selectClass}
              value={contactId ?? ""}
              onChange={(e) => setContactId(e.target.value === "" ? null : Number(e.target.value))}
              data-testid="preview-contact"
            >
              <option value="">A made-up contact (Ada Lovelace)</option>
              {contacts.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name ? `${c.name} <${c.email}>` : c.email}
                </option>
              ))}
            </select>
          </Field>
          <Preview entry={entry} draft={draft} contactId={contactId} />
        </div>
      </div>
    </div>
  );
}

/** The Email templates screen: every workflow's templates, an editor and a live preview. */
export function EmailTemplatesPage() {
  const templates = useQuery<TemplateEntry[], ApiError>({ queryKey: queryKeys.emailTemplates, queryFn: emailTemplatesApi.list });
  const contacts = useQuery<Contact[], ApiError>({
    queryKey: queryKeys.contacts.previewSample,
    queryFn: () => contactsApi.list(buildContactQuery({ ...defaultFilters, sort: "name", descending: false }, { offset: 0, limit: 50 })),
  });
  const [selected, setSelected] = useState<string | null>(null);
  const entries = templates.data ?? [];
  const current = entries.find((e) => entryKey(e) === selected) ?? entries[0];
  const byWorkflow = new Map<string, TemplateEntry[]>();
  for (const e of entries) byWorkflow.set(e.workflow, [...(byWorkflow.get(e.workflow) ?? []), e]);

  return (
    <>
      <PageHeader
        title="Email templates"
        description="The emails your workflows send. Each template lives in its workflow and travels with its file."
      />
      {templates.isPending && (
        <p role="status" className={styles.muted}>
          Loading templates…
        </p>
      )}
      {templates.error && (
        <ErrorPanel title="The templates could not be loaded" error={templates.error} onRetry={() => void templates.refetch()} />
      )}
      {templates.data?.length === 0 && (
        <EmptyState icon={Mail} title="No email templates yet" testId="templates-empty">
          <p>
            A template belongs to a workflow: add a "Send email" step to a workflow in its editor, or start from a
            ready-made workflow in Templates. Its emails then appear here to edit and preview.
          </p>
        </EmptyState>
      )}
      {current && (
        <div className={styles.layout}>
          <nav className={styles.list} aria-label="Templates" data-testid="template-list">
            {[...byWorkflow.entries()].map(([wf, list]) => (
              <div key={wf} className={styles.group}>
                <div className={styles.groupHead}>
                  <span>{wf}</span>
                  <Badge tone={list[0]?.status === "active" ? "success" : list[0]?.status === "paused" ? "warning" : "neutral"} label={list[0]?.status ?? ""} />
                </div>
                {list.map((e) => (
                  <button
                    key={entryKey(e)}
                    type="button"
                    className={`${styles.item} ${entryKey(e) === entryKey(current) ? styles.active : ""}`}
                    onClick={() => setSelected(entryKey(e))}
                    data-testid="template-item"
                  >
                    <span className={styles.itemName}>{e.template.name}</span>
                    <span className={styles.itemSubject}>{e.template.subject}</span>
                  </button>
                ))}
              </div>
            ))}
          </nav>
          <Editor key={entryKey(current)} entry={current} contacts={contacts.data ?? []} />
        </div>
      )}
    </>
  );
}
