// The "add account" forms: which settings each kind asks for, checks a
// person can act on before anything is sent, and the arguments of the add
// command. The secret is one field of the form like any other here; the
// screen keeps it in its password input only and sends it once.

import type { AccountKind } from "@/bindings";
import type { SmtpAccountInput } from "@/bindings/app";

export type FieldSpec = {
  key: string;
  label: string;
  /** A one-line hint under the input. */
  hint?: string;
  kind: "text" | "number" | "password" | "select" | "email";
  options?: readonly { value: string; label: string }[];
  required?: boolean;
  placeholder?: string;
};

export type KindSpec = {
  kind: AccountKind;
  label: string;
  /** What the account is for, in one sentence. */
  purpose: string;
  /** Whether Cairn polls it for events. */
  source: boolean;
  fields: readonly FieldSpec[];
};

const name: FieldSpec = { key: "name", label: "Account name", kind: "text", required: true, placeholder: "e.g. gmail", hint: "How workflows refer to this account." };
const poll: FieldSpec = { key: "poll_every_minutes", label: "Poll every (minutes)", kind: "number", hint: "Leave empty for the provider's default." };

export const ACCOUNT_KINDS: readonly KindSpec[] = [
  {
    kind: "smtp",
    label: "SMTP (send email)",
    purpose: "Sends your workflows' emails through your mail provider.",
    source: false,
    fields: [
      name,
      { key: "host", label: "Host", kind: "text", required: true, placeholder: "smtp.gmail.com" },
      { key: "port", label: "Port", kind: "number", required: true, placeholder: "587" },
      {
        key: "security",
        label: "Security",
        kind: "select",
        options: [
          { value: "starttls", label: "STARTTLS (port 587)" },
          { value: "tls", label: "TLS (port 465)" },
          { value: "none", label: "None (this machine only)" },
        ],
      },
      { key: "username", label: "Username", kind: "text", placeholder: "you@gmail.com", hint: "Leave empty for a server without login." },
      { key: "secret", label: "Password", kind: "password", hint: "An app password; stored in the OS keyring, never in the database." },
      { key: "from", label: "From", kind: "text", required: true, placeholder: "Ada Coach <ada@gmail.com>" },
      { key: "reply_to", label: "Reply-To", kind: "text" },
      { key: "owner", label: "Owner address", kind: "email", hint: "Where \"email the owner\" goes; the From address when empty." },
      { key: "rate_per_second", label: "Emails per second", kind: "number", placeholder: "1", hint: "0 for no limit." },
      { key: "rate_per_day", label: "Emails per day", kind: "number", placeholder: "500", hint: "Gmail allows about 500 a day; 0 for no limit." },
      {
        key: "imap_host",
        label: "Mailbox (IMAP) host",
        kind: "text",
        placeholder: "imap.gmail.com",
        hint: "Reads replies, bounces and unsubscribe requests sent back to the From address; logs in with the password above.",
      },
      { key: "imap_port", label: "IMAP port", kind: "number", placeholder: "993" },
      {
        key: "imap_security",
        label: "IMAP security",
        kind: "select",
        options: [
          { value: "tls", label: "TLS (port 993)" },
          { value: "starttls", label: "STARTTLS (port 143)" },
          { value: "none", label: "None (this machine only)" },
        ],
      },
      { key: "imap_username", label: "IMAP username", kind: "text", hint: "The username above when empty." },
      {
        key: "unsubscribe_via",
        label: "Unsubscribes",
        kind: "select",
        hint: "Postmark and Mailgun give one-click unsubscribe (Gmail and Yahoo ask bulk senders for it).",
        options: [
          { value: "mailto", label: "By email to the From address (read from the mailbox)" },
          { value: "postmark", label: "Postmark's one-click link (broadcast stream)" },
          { value: "mailgun", label: "Mailgun's one-click link (unsubscribe tracking on)" },
        ],
      },
    ],
  },
  {
    kind: "webhook",
    label: "Webhook signing",
    purpose: "Signs the webhooks your workflows post, so the receiver can verify them.",
    source: false,
    fields: [name, { key: "secret", label: "Signing secret", kind: "password", hint: "Leave empty to sign nothing." }],
  },
  {
    kind: "slack",
    label: "Slack",
    purpose: "Notifies your team in a Slack channel through an incoming webhook.",
    source: false,
    fields: [name, { key: "secret", label: "Incoming webhook URL", kind: "password", required: true, placeholder: "https://hooks.slack.com/services/…" }],
  },
  {
    kind: "stripe",
    label: "Stripe",
    purpose: "Brings in purchases and refunds from Stripe's Events API.",
    source: true,
    fields: [
      name,
      { key: "secret", label: "Secret or restricted key", kind: "password", required: true, hint: "Read access to events is enough." },
      {
        key: "purchases_from",
        label: "Purchases from",
        kind: "select",
        options: [
          { value: "checkout", label: "Checkout sessions and payment links" },
          { value: "charges", label: "Charges" },
          { value: "both", label: "Both" },
        ],
      },
      poll,
    ],
  },
  {
    kind: "shopify",
    label: "Shopify",
    purpose: "Brings in orders created, fulfilled and delivered.",
    source: true,
    fields: [
      name,
      { key: "shop", label: "Shop", kind: "text", required: true, placeholder: "my-store.myshopify.com" },
      { key: "secret", label: "Admin API access token", kind: "password", required: true, hint: "A custom app's token with read_orders." },
      poll,
    ],
  },
  {
    kind: "typeform",
    label: "Typeform",
    purpose: "Brings in a form's responses.",
    source: true,
    fields: [
      name,
      { key: "form_id", label: "Form id", kind: "text", required: true, placeholder: "u6nXL7", hint: "The last part of the form's URL." },
      { key: "secret", label: "Personal access token", kind: "password", required: true },
      poll,
    ],
  },
  {
    kind: "tally",
    label: "Tally",
    purpose: "Brings in a form's completed submissions.",
    source: true,
    fields: [
      name,
      { key: "form_id", label: "Form id", kind: "text", required: true, placeholder: "wMDxQr", hint: "The last part of the form's URL (tally.so/r/…)." },
      { key: "secret", label: "API key", kind: "password", required: true, hint: "Settings → API keys in Tally." },
      poll,
    ],
  },
  {
    kind: "thinkific",
    label: "Thinkific",
    purpose: "Enrolls contacts in linked courses and brings in their progress.",
    source: true,
    fields: [
      name,
      { key: "subdomain", label: "School subdomain", kind: "text", required: true, placeholder: "coach", hint: "coach for coach.thinkific.com." },
      { key: "secret", label: "Admin API key", kind: "password", required: true },
      poll,
    ],
  },
  {
    kind: "teachable",
    label: "Teachable",
    purpose: "Enrolls contacts in linked courses and brings in their progress.",
    source: true,
    fields: [
      name,
      { key: "secret", label: "API key", kind: "password", required: true },
      poll,
    ],
  },
  {
    kind: "mailgun",
    label: "Mailgun",
    purpose: "Brings in what happened to sent mail: delivered, opened, clicked, bounced.",
    source: true,
    fields: [
      name,
      { key: "domain", label: "Sending domain", kind: "text", required: true, placeholder: "mg.example.com" },
      {
        key: "region",
        label: "Region",
        kind: "select",
        options: [
          { value: "us", label: "US" },
          { value: "eu", label: "EU" },
        ],
      },
      { key: "secret", label: "Private API key", kind: "password", required: true },
      poll,
    ],
  },
  {
    kind: "postmark",
    label: "Postmark",
    purpose: "Brings in what happened to mail sent through Postmark: bounced, complained, opened, clicked, unsubscribed.",
    source: true,
    fields: [
      name,
      { key: "message_stream", label: "Message stream", kind: "text", placeholder: "broadcast", hint: "The stream Cairn's mail goes through; broadcast when empty." },
      { key: "secret", label: "Server API token", kind: "password", required: true },
      poll,
    ],
  },
  {
    kind: "json_feed",
    label: "JSON feed",
    purpose: "Brings in events from any HTTP endpoint answering JSON.",
    source: true,
    fields: [
      name,
      { key: "url", label: "Feed URL", kind: "text", required: true, placeholder: "https://example.com/events.json" },
      { key: "items", label: "Items pointer", kind: "text", placeholder: "/data", hint: "Where the list is; empty for the whole answer." },
      { key: "id", label: "Id pointer", kind: "text", required: true, placeholder: "/id" },
      { key: "time", label: "Time pointer", kind: "text", required: true, placeholder: "/created_at" },
      { key: "event_type", label: "Event type", kind: "text", placeholder: "order.created", hint: "One type for every item, or a type pointer below." },
      { key: "type", label: "Type pointer", kind: "text", placeholder: "/type" },
      { key: "email", label: "Email pointer", kind: "text", placeholder: "/customer/email" },
      { key: "auth_header", label: "Auth header name", kind: "text", placeholder: "Authorization", hint: "Only for a feed that needs a key." },
      { key: "secret", label: "Auth header value", kind: "password" },
      poll,
    ],
  },
];

export function kindSpec(kind: AccountKind): KindSpec | undefined {
  return ACCOUNT_KINDS.find((k) => k.kind === kind);
}

export type AccountForm = Record<string, string>;

/** A fresh form of a kind, with its defaults filled in. */
export function initialForm(kind: AccountKind): AccountForm {
  const f: AccountForm = {};
  for (const field of kindSpec(kind)?.fields ?? []) f[field.key] = field.options?.[0]?.value ?? "";
  if (kind === "smtp") Object.assign(f, { port: "587", rate_per_second: "1", rate_per_day: "500", imap_port: "993" });
  return f;
}

const v = (f: AccountForm, k: string) => (f[k] ?? "").trim();
const isPointer = (p: string) => p === "" || p.startsWith("/");

function wholeNumber(raw: string, min: number, max: number): boolean {
  return /^\d+$/.test(raw) && Number(raw) >= min && Number(raw) <= max;
}

/** Every problem with the form, by field key; empty when it can be sent. */
export function checkAccountForm(kind: AccountKind, f: AccountForm): Record<string, string> {
  const spec = kindSpec(kind);
  const problems: Record<string, string> = {};
  if (!spec) return { kind: "Choose what to connect" };
  for (const field of spec.fields) {
    if (field.required && v(f, field.key) === "") problems[field.key] = `${field.label} is required`;
  }
  if (v(f, "name").length > 64) problems.name = "At most 64 characters";
  if (kind === "smtp") {
    const host = v(f, "host");
    if (host !== "" && (/\s/.test(host) || host.includes("://"))) problems.host = "Only the host name, such as smtp.gmail.com";
    if (v(f, "port") !== "" && !wholeNumber(v(f, "port"), 1, 65535)) problems.port = "A port between 1 and 65535";
    for (const k of ["rate_per_second", "rate_per_day"]) {
      if (v(f, k) !== "" && !wholeNumber(v(f, k), 0, 1_000_000)) problems[k] = "A whole number, 0 for no limit";
    }
    if (v(f, "secret") !== "" && v(f, "username") === "") problems.username = "A password needs a username";
    if (v(f, "username") !== "" && v(f, "secret") === "") problems.secret = "A login needs its password";
    if (v(f, "owner") !== "" && !/^[^\s@]+@[^\s@]+$/.test(v(f, "owner"))) problems.owner = "An email address";
    const imap = v(f, "imap_host");
    if (imap !== "") {
      if (/\s/.test(imap) || imap.includes("://")) problems.imap_host = "Only the host name, such as imap.gmail.com";
      if (!wholeNumber(v(f, "imap_port"), 1, 65535)) problems.imap_port = "A port between 1 and 65535";
      if (v(f, "imap_username") === "" && v(f, "username") === "") problems.imap_username = "The mailbox needs a username";
      if (v(f, "secret") === "") problems.secret = "The mailbox logs in with this password";
    }
  }
  if (kind === "slack" && v(f, "secret") !== "" && !v(f, "secret").startsWith("https://")) {
    problems.secret = "The URL starts with https://";
  }
  if (kind === "json_feed") {
    const url = v(f, "url");
    if (url !== "" && !/^https?:\/\//.test(url)) problems.url = "The URL starts with https://";
    for (const k of ["items", "id", "time", "type", "email"]) {
      if (!isPointer(v(f, k))) problems[k] = "A JSON pointer starts with /, such as /data/id";
    }
    if (v(f, "event_type") === "" && v(f, "type") === "") problems.event_type = "Give an event type or a type pointer";
    if (v(f, "auth_header") !== "" && v(f, "secret") === "") problems.secret = "The header needs its value";
    if (v(f, "auth_header") === "" && v(f, "secret") !== "") problems.auth_header = "Name the header the value goes in";
  }
  if (spec.source && v(f, "poll_every_minutes") !== "" && !wholeNumber(v(f, "poll_every_minutes"), 1, 10_080)) {
    problems.poll_every_minutes = "Whole minutes, at least 1";
  }
  return problems;
}

/** The add command to call and its arguments, for a form with no problems. */
export type AddAccount =
  | { command: "smtp"; name: string; settings: SmtpAccountInput; password: string | null }
  | { command: "webhook"; name: string; signingSecret: string | null }
  | { command: "slack"; name: string; webhookUrl: string }
  | {
      command: "source";
      name: string;
      kind: AccountKind;
      settings: Record<string, unknown>;
      pollIntervalSecs: number | null;
      secret: string | null;
    };

const orNull = (s: string) => (s === "" ? null : s);

export function toAddAccount(kind: AccountKind, f: AccountForm): AddAccount {
  const accountName = v(f, "name");
  // The secret is passed as typed (a password may begin or end with a space).
  const secret = (f.secret ?? "") === "" ? null : (f.secret ?? "");
  switch (kind) {
    case "smtp":
      return {
        command: "smtp",
        name: accountName,
        settings: {
          host: v(f, "host"),
          port: Number(v(f, "port")),
          security: (v(f, "security") || "starttls") as SmtpAccountInput["security"],
          username: orNull(v(f, "username")),
          from: v(f, "from"),
          reply_to: orNull(v(f, "reply_to")),
          owner: orNull(v(f, "owner")),
          rate_per_second: Number(v(f, "rate_per_second") || "1"),
          rate_per_day: Number(v(f, "rate_per_day") || "500"),
          imap_host: orNull(v(f, "imap_host")),
          imap_port: v(f, "imap_host") === "" ? null : Number(v(f, "imap_port") || "993"),
          imap_security: v(f, "imap_host") === "" ? null : ((v(f, "imap_security") || "tls") as SmtpAccountInput["security"]),
          imap_username: orNull(v(f, "imap_username")),
          unsubscribe_via: v(f, "unsubscribe_via") || "mailto",
        },
        password: secret,
      };
    case "webhook":
      return { command: "webhook", name: accountName, signingSecret: secret };
    case "slack":
      return { command: "slack", name: accountName, webhookUrl: secret ?? "" };
    default: {
      const spec = kindSpec(kind);
      const settings: Record<string, unknown> = {};
      for (const field of spec?.fields ?? []) {
        if (["name", "secret", "poll_every_minutes"].includes(field.key)) continue;
        const value = v(f, field.key);
        if (value !== "" || field.key === "items") settings[field.key] = value;
      }
      const minutes = v(f, "poll_every_minutes");
      return {
        command: "source",
        name: accountName,
        kind,
        settings,
        pollIntervalSecs: minutes === "" ? null : Number(minutes) * 60,
        secret,
      };
    }
  }
}
