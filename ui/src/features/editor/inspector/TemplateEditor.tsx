// The workflow's own email templates, edited inline: subject and preheader
// with merge fields, and a Markdown body. They travel inside the workflow
// file; send-email nodes pick one by name.

import { Trash2 } from "lucide-react";

import type { EmailTemplate } from "@/api";
import { KIND_HINTS, withKind } from "@/core/editor/emailKind";
import { withOptional } from "@/core/editor/objects";

import { SelectField, TextField } from "./fields";
import styles from "./Inspector.module.css";

export const MERGE_HINT = "Merge fields: {{ contact.first_name }}, {{ contact.email }}, {{ trigger.product }}, {{ workflow.name }}.";

export function TemplateEditor({
  template,
  onChange,
  onRemove,
  nameTaken,
}: {
  template: EmailTemplate;
  onChange: (t: EmailTemplate) => void;
  onRemove?: () => void;
  /** Whether another template of the workflow has this name. */
  nameTaken: (name: string) => boolean;
}) {
  const clash = nameTaken(template.name);
  return (
    <div className={styles.template} data-testid="template-editor">
      <div className={styles.templateHead}>
        <TextField
          label="Template name"
          value={template.name}
          hint={clash ? "Another email of this workflow has this name." : "How nodes and reports refer to this email."}
          onChange={(name) => onChange({ ...template, name })}
          testId="template-name"
        />
        {onRemove && (
          <button type="button" className={styles.iconButton} onClick={onRemove} aria-label="Delete this email" title="Delete this email">
            <Trash2 size={15} aria-hidden />
          </button>
        )}
      </div>
      <TextField
        label="Subject"
        value={template.subject}
        placeholder="Your receipt for {{ trigger.product }}"
        onChange={(subject) => onChange({ ...template, subject })}
        testId="template-subject"
      />
      <SelectField
        label="Kind"
        placeholder="Marketing (default)"
        value={template.kind === "transactional" ? "transactional" : "marketing"}
        options={[
          { value: "marketing", label: "Marketing" },
          { value: "transactional", label: "Transactional" },
        ]}
        hint={KIND_HINTS[template.kind ?? "marketing"]}
        onChange={(k) => onChange(withKind(template, k === "transactional" ? "transactional" : "marketing"))}
        testId="template-kind"
      />
      <TextField
        label="Preview text (optional)"
        value={template.preheader ?? ""}
        hint="Shown by mail apps after the subject."
        onChange={(p) => {
          onChange(withOptional(template, "preheader", p));
        }}
        testId="template-preheader"
      />
      <TextField
        label="Body (Markdown)"
        rows={8}
        value={template.body}
        placeholder={"Hi {{ contact.first_name }},\n\nthank you for …"}
        hint={`${MERGE_HINT} Merge values arrive as text (add |safe to take one as Markdown). **bold**, [links](https://…) and lists work; a plain-text part is made for you.`}
        onChange={(body) => onChange({ ...template, body })}
        testId="template-body"
      />
    </div>
  );
}
