import { useMutation, useQuery } from "@tanstack/react-query";
import { X } from "lucide-react";
import { useState } from "react";

import { type ApiError, type Contact, type ContactStatus, contactsApi, queryKeys } from "@/api";
import { Button, Dialog, ErrorPanel, Field, inputClass, selectClass } from "@/components";
import { CONTACT_STATUSES } from "@/core/contactQuery";
import { type ContactForm, addTag, checkContactForm, emptyContactForm, formOf, toContactInput } from "@/core/contactForm";

import styles from "./Contacts.module.css";
import { useFields, useRefreshContacts, useTags } from "./useContacts";

type Props = {
  /** The contact to edit; a new one when absent. */
  contact?: Contact;
  onClose: () => void;
  onSaved?: (c: Contact) => void;
};

/** Add or edit a contact: name, status, time zone, typed custom fields, tags. */
export function ContactDialog({ contact, onClose, onSaved }: Props) {
  const [form, setForm] = useState<ContactForm>(() => (contact ? formOf(contact) : emptyContactForm));
  const [tagDraft, setTagDraft] = useState("");
  const [tried, setTried] = useState(false);
  const fields = useFields();
  const tags = useTags();
  const refresh = useRefreshContacts();
  const defs = fields.data ?? [];
  const problems = checkContactForm(form, defs);
  // An email erased earlier comes back unsubscribed unless the user
  // re-subscribes them on purpose: the form says so before saving.
  const email = form.email.trim().toLowerCase();
  const erased = useQuery<string | null, ApiError>({
    queryKey: queryKeys.contacts.erasedAt(email),
    queryFn: () => contactsApi.erasedAt(email),
    enabled: !contact && !problems.email && email.includes("@"),
    retry: false,
  });
  const [resubscribe, setResubscribe] = useState(false);

  const save = useMutation<Contact, ApiError>({
    mutationFn: () => {
      const { input, untag } = toContactInput(form, defs, contact);
      return contact
        ? contactsApi.update(contact.id, input, untag)
        : contactsApi.add(input, Boolean(erased.data) && resubscribe);
    },
    onSuccess: (c) => {
      void refresh();
      onSaved?.(c);
      onClose();
    },
  });

  const submit = () => {
    setTried(true);
    if (Object.keys(problems).length === 0) save.mutate();
  };
  const show = (k: string) => (tried ? problems[k] : undefined);
  const set = (patch: Partial<ContactForm>) => setForm((f) => ({ ...f, ...patch }));
  const commitTag = () => {
    set({ tags: addTag(form.tags, tagDraft) });
    setTagDraft("");
  };

  return (
    <Dialog
      title={contact ? `Edit ${contact.email}` : "Add a contact"}
      description={contact ? "Changes record events (tag added, status changed…) that workflows can start from." : "A new contact records contact.created, which starts signup workflows."}
      onClose={onClose}
      testId="contact-dialog"
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" onClick={submit} disabled={save.isPending} data-testid="save-contact">
            {save.isPending ? "Saving…" : contact ? "Save changes" : "Add contact"}
          </Button>
        </>
      }
    >
      <form
        className={styles.form}
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <Field label="Email" htmlFor="c-email" error={show("email")} hint={contact ? "A contact's email is its identity." : undefined}>
          <input
            id="c-email"
            className={inputClass}
            type="email"
            value={form.email}
            readOnly={Boolean(contact)}
            aria-invalid={Boolean(show("email"))}
            onChange={(e) => set({ email: e.target.value })}
          />
        </Field>
        {!contact && erased.data && (
          <div className={styles.inlineForm} data-testid="erased-note">
            <p>
              This email was erased on {erased.data.slice(0, 10)}. Added again, the contact is unsubscribed unless you
              re-subscribe them on purpose.
            </p>
            <label>
              <input
                type="checkbox"
                checked={resubscribe}
                onChange={(e) => setResubscribe(e.target.checked)}
                data-testid="resubscribe-erased"
              />{" "}
              Subscribe them again: they asked to be added back
            </label>
          </div>
        )}
        <div className={styles.formRow}>
          <Field label="Name" htmlFor="c-name">
            <input id="c-name" className={inputClass} value={form.name} onChange={(e) => set({ name: e.target.value })} />
          </Field>
          <Field label="Status" htmlFor="c-status">
            <select
              id="c-status"
              className={selectClass}
              value={form.status}
              onChange={(e) => set({ status: e.target.value as ContactStatus })}
            >
              {CONTACT_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <Field label="Time zone" htmlFor="c-tz" hint="An IANA name such as Europe/Berlin; empty uses the workflow's.">
          <input
            id="c-tz"
            className={inputClass}
            value={form.timezone}
            placeholder="Europe/Berlin"
            onChange={(e) => set({ timezone: e.target.value })}
          />
        </Field>
        {defs.length > 0 && (
          <fieldset className={styles.fieldset}>
            <legend>Custom fields</legend>
            <div className={styles.formGrid}>
              {defs.map((d) => {
                const id = `c-field-${d.name}`;
                const value = form.fields[d.name] ?? "";
                const setValue = (v: string) => set({ fields: { ...form.fields, [d.name]: v } });
                return (
                  <Field key={d.name} label={`${d.name} (${d.type})`} htmlFor={id} error={show(`field:${d.name}`)}>
                    {d.type === "boolean" ? (
                      <select id={id} className={selectClass} value={value} onChange={(e) => setValue(e.target.value)}>
                        <option value="">—</option>
                        <option value="true">yes</option>
                        <option value="false">no</option>
                      </select>
                    ) : (
                      <input
                        id={id}
                        className={inputClass}
                        type={d.type === "date" ? "date" : "text"}
                        inputMode={d.type === "number" ? "decimal" : undefined}
                        value={value}
                        aria-invalid={Boolean(show(`field:${d.name}`))}
                        onChange={(e) => setValue(e.target.value)}
                      />
                    )}
                  </Field>
                );
              })}
            </div>
          </fieldset>
        )}
        <Field label="Tags" htmlFor="c-tag" hint="Press Enter to add a tag.">
          <div className={styles.tagEditor}>
            {form.tags.map((t) => (
              <span key={t} className={styles.tag}>
                {t}
                <button
                  type="button"
                  aria-label={`Remove tag ${t}`}
                  onClick={() => set({ tags: form.tags.filter((x) => x !== t) })}
                >
                  <X size={12} aria-hidden />
                </button>
              </span>
            ))}
            <input
              id="c-tag"
              className={styles.tagInput}
              list="known-tags"
              value={tagDraft}
              placeholder="Add a tag"
              onChange={(e) => setTagDraft(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === "Enter") {
                  e.preventDefault();
                  commitTag();
                }
              }}
              onBlur={commitTag}
            />
            <datalist id="known-tags">
              {tags.data?.map((t) => <option key={t} value={t} />)}
            </datalist>
          </div>
        </Field>
        {save.error && <ErrorPanel title="The contact was not saved" error={save.error} />}
      </form>
    </Dialog>
  );
}
