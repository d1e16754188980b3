import { describe, expect, it } from "vitest";

import { ACCOUNT_KINDS, checkAccountForm, initialForm, toAddAccount } from "./accountForms";

describe("account forms", () => {
  it("offers every kind the app can add, each with a name field", () => {
    expect(ACCOUNT_KINDS.map((k) => k.kind)).toEqual([
      "smtp",
      "webhook",
      "slack",
      "stripe",
      "shopify",
      "typeform",
      "tally",
      "thinkific",
      "teachable",
      "mailgun",
      "postmark",
      "json_feed",
    ]);
    for (const k of ACCOUNT_KINDS) expect(k.fields[0]?.key).toBe("name");
  });

  it("starts SMTP with Gmail's limits and STARTTLS on 587", () => {
    expect(initialForm("smtp")).toMatchObject({ port: "587", security: "starttls", rate_per_second: "1", rate_per_day: "500" });
  });

  it("names every missing or malformed SMTP setting", () => {
    const f = { ...initialForm("smtp"), name: "", host: "smtp://x", port: "70000", username: "ada", rate_per_day: "-3" };
    const p = checkAccountForm("smtp", f);
    expect(Object.keys(p).sort()).toEqual(["from", "host", "name", "port", "rate_per_day", "secret"]);
    expect(p.secret).toBe("A login needs its password");
  });

  it("accepts a complete SMTP form and builds the command's arguments", () => {
    const f = {
      ...initialForm("smtp"),
      name: "gmail",
      host: " smtp.gmail.com ",
      username: "ada@gmail.com",
      secret: " app pw ",
      from: "Ada <ada@gmail.com>",
    };
    expect(checkAccountForm("smtp", f)).toEqual({});
    expect(toAddAccount("smtp", f)).toEqual({
      command: "smtp",
      name: "gmail",
      settings: {
        host: "smtp.gmail.com",
        port: 587,
        security: "starttls",
        username: "ada@gmail.com",
        from: "Ada <ada@gmail.com>",
        reply_to: null,
        owner: null,
        rate_per_second: 1,
        rate_per_day: 500,
        imap_host: null,
        imap_port: null,
        imap_security: null,
        imap_username: null,
        unsubscribe_via: "mailto",
      },
      password: " app pw ",
    });
  });

  it("pairs the SMTP account with its mailbox, which logs in with the same password", () => {
    const base = { ...initialForm("smtp"), name: "gmail", host: "smtp.gmail.com", from: "ada@gmail.com" };
    const bad = checkAccountForm("smtp", { ...base, imap_host: "imaps://imap.gmail.com", imap_port: "0" });
    expect(bad).toMatchObject({
      imap_host: "Only the host name, such as imap.gmail.com",
      imap_port: "A port between 1 and 65535",
      imap_username: "The mailbox needs a username",
      secret: "The mailbox logs in with this password",
    });
    const f = { ...base, username: "ada@gmail.com", secret: "pw", imap_host: "imap.gmail.com", unsubscribe_via: "postmark" };
    expect(checkAccountForm("smtp", f)).toEqual({});
    const a = toAddAccount("smtp", f);
    expect(a.command === "smtp" && a.settings).toMatchObject({
      imap_host: "imap.gmail.com",
      imap_port: 993,
      imap_security: "tls",
      imap_username: null,
      unsubscribe_via: "postmark",
    });
  });

  it("connects Postmark with its server token apart from the settings", () => {
    const f = { ...initialForm("postmark"), name: "pm", message_stream: "broadcast", secret: "tok" };
    expect(checkAccountForm("postmark", { ...f, secret: "" })).toEqual({ secret: "Server API token is required" });
    expect(toAddAccount("postmark", f)).toEqual({
      command: "source",
      name: "pm",
      kind: "postmark",
      settings: { message_stream: "broadcast" },
      pollIntervalSecs: null,
      secret: "tok",
    });
  });

  it("checks a JSON feed's pointers and its auth header pair", () => {
    const f = { ...initialForm("json_feed"), name: "feed", url: "ftp://x", id: "id", time: "/t", auth_header: "X-Key" };
    const p = checkAccountForm("json_feed", f);
    expect(p.url).toBeDefined();
    expect(p.id).toMatch(/pointer/);
    expect(p.event_type).toBeDefined();
    expect(p.secret).toBe("The header needs its value");
  });

  it("turns a source form into settings, an interval in seconds and the secret apart", () => {
    const f = { ...initialForm("typeform"), name: "forms", form_id: "u6nXL7", secret: "tfp_x", poll_every_minutes: "10" };
    expect(checkAccountForm("typeform", f)).toEqual({});
    expect(toAddAccount("typeform", f)).toEqual({
      command: "source",
      name: "forms",
      kind: "typeform",
      settings: { form_id: "u6nXL7" },
      pollIntervalSecs: 600,
      secret: "tfp_x",
    });
    expect(checkAccountForm("typeform", { ...f, poll_every_minutes: "0" }).poll_every_minutes).toBeDefined();
  });

  it("requires Slack's webhook URL and keeps it out of the settings", () => {
    expect(checkAccountForm("slack", { name: "team", secret: "" }).secret).toBeDefined();
    expect(checkAccountForm("slack", { name: "team", secret: "http://x" }).secret).toMatch(/https/);
    expect(toAddAccount("slack", { name: "team", secret: "https://hooks.slack.com/services/T/B/x" })).toEqual({
      command: "slack",
      name: "team",
      webhookUrl: "https://hooks.slack.com/services/T/B/x",
    });
  });
});
