import { useMutation } from "@tanstack/react-query";
import { useRef, useState } from "react";

import { type Account, type AccountKind, type ApiError, accountsApi } from "@/api";
import { Button, Dialog, ErrorPanel, Field, inputClass, selectClass } from "@/components";
import {
  ACCOUNT_KINDS,
  type AccountForm,
  type FieldSpec,
  checkAccountForm,
  initialForm,
  kindSpec,
  toAddAccount,
} from "@/core/accountForms";

import styles from "./Accounts.module.css";
import { useRefreshAccounts } from "./useAccounts";

function add(kind: AccountKind, form: AccountForm): Promise<Account> {
  const a = toAddAccount(kind, form);
  switch (a.command) {
    case "smtp":
      return accountsApi.addSmtp(a.name, a.settings, a.password);
    case "webhook":
      return accountsApi.addWebhook(a.name, a.signingSecret);
    case "slack":
      return accountsApi.addSlack(a.name, a.webhookUrl);
    case "source":
      return accountsApi.addSource(a.name, a.kind, a.settings, a.pollIntervalSecs, a.secret);
  }
}

/**
 * Connects an account. Its secret is typed into a password input that is
 * not a controlled React value: it is read once when the form is sent, goes
 * to the add command (which stores it in the vault), and the input is
 * cleared. It is kept in no state, no query cache and no error.
 */
export function AddAccountDialog({ onClose }: { onClose: () => void }) {
  const [kind, setKind] = useState<AccountKind>("smtp");
  const [form, setForm] = useState<AccountForm>(() => initialForm("smtp"));
  const [problems, setProblems] = useState<Record<string, string>>({});
  const secret = useRef<HTMLInputElement>(null);
  const refresh = useRefreshAccounts();
  const spec = kindSpec(kind);

  const save = useMutation<Account, ApiError>({
    mutationFn: () => add(kind, { ...form, secret: secret.current?.value ?? "" }),
    onSuccess: () => {
      if (secret.current) secret.current.value = "";
      void refresh();
      onClose();
    },
  });

  const submit = () => {
    const found = checkAccountForm(kind, { ...form, secret: secret.current?.value ?? "" });
    setProblems(found);
    if (Object.keys(found).length === 0) save.mutate();
  };

  const input = (f: FieldSpec) => {
    const id = `acct-${f.key}`;
    const invalid = Boolean(problems[f.key]);
    if (f.kind === "password")
      return (
        <input
          id={id}
          ref={secret}
          className={inputClass}
          type="password"
          autoComplete="new-password"
          spellCheck={false}
          placeholder={f.placeholder}
          aria-invalid={invalid}
          data-testid="account-secret"
        />
      );
    if (f.kind === "select")
      return (
        <select
          id={id}
          className={selectClass}
          value={form[f.key] ?? ""}
          onChange={(e) => setForm({ ...form, [f.key]: e.target.value })}
        >
          {f.options?.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      );
    return (
      <input
        id={id}
        className={inputClass}
        type={f.kind === "number" ? "text" : f.kind}
        inputMode={f.kind === "number" ? "numeric" : undefined}
        placeholder={f.placeholder}
        value={form[f.key] ?? ""}
        aria-invalid={invalid}
        onChange={(e) => setForm({ ...form, [f.key]: e.target.value })}
        data-testid={`account-${f.key}`}
      />
    );
  };

  return (
    <Dialog
      title="Connect an account"
      description="Settings are kept in your database; the secret goes to the OS keyring and nowhere else."
      onClose={onClose}
      wide
      testId="add-account-dialog"
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" onClick={submit} disabled={save.isPending} data-testid="save-account">
            {save.isPending ? "Connecting…" : "Connect"}
          </Button>
        </>
      }
    >
      <Field label="Service" htmlFor="acct-kind" hint={spec?.purpose}>
        <select
          id="acct-kind"
          className={selectClass}
          value={kind}
          onChange={(e) => {
            const k = e.target.value as AccountKind;
            setKind(k);
            setForm(initialForm(k));
            setProblems({});
            if (secret.current) secret.current.value = "";
          }}
          data-testid="account-kind"
        >
          {ACCOUNT_KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
      </Field>
      <form
        className={styles.formGrid}
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
        autoComplete="off"
      >
        {spec?.fields.map((f) => (
          <div key={`${kind}-${f.key}`} className={f.key === "name" || f.kind === "password" ? styles.wide : ""}>
            <Field label={f.required || f.kind === "select" ? f.label : `${f.label} (optional)`} htmlFor={`acct-${f.key}`} hint={f.hint} error={problems[f.key]}>
              {input(f)}
            </Field>
          </div>
        ))}
        <button type="submit" hidden />
      </form>
      {save.error && <ErrorPanel title="The account was not connected" error={save.error} />}
    </Dialog>
  );
}
