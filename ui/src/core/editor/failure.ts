// The workflow's error path ("when a run fails", settings.on_run_failure) as
// the editor edits it: one notice per channel kind at most, and the workflow
// to start. Plain functions; an empty setting is left out of the file.

import type { NotifyChannel, OnRunFailure } from "@/bindings";

export type ChannelKind = "desktop" | "slack" | "email_owner";

export function channelKind(c: NotifyChannel): ChannelKind {
  if (c === "desktop") return "desktop";
  return "slack" in c ? "slack" : "email_owner";
}

/** The channel of this kind in the setting, if there is one. */
export function channelOf(f: OnRunFailure | undefined, kind: ChannelKind): NotifyChannel | undefined {
  return (f?.notify ?? []).find((c) => channelKind(c) === kind);
}

/** The account a channel names ("" for the desktop). */
export function accountOf(c: NotifyChannel | undefined): string {
  if (!c || c === "desktop") return "";
  return "slack" in c ? c.slack.account : c.email_owner.account;
}

function channel(kind: ChannelKind, account: string): NotifyChannel {
  if (kind === "desktop") return "desktop";
  return kind === "slack" ? { slack: { account } } : { email_owner: { account } };
}

/** The setting, or undefined when it does nothing (so the file leaves it out). */
function tidy(f: OnRunFailure): OnRunFailure | undefined {
  const out: OnRunFailure = {};
  if (f.notify && f.notify.length > 0) out.notify = f.notify;
  if (f.start_workflow !== undefined && f.start_workflow !== "") out.start_workflow = f.start_workflow;
  return out.notify || out.start_workflow !== undefined ? out : undefined;
}

/** Turns the notice of `kind` on (with `account`) or off (`null`), in place. */
export function withChannel(f: OnRunFailure | undefined, kind: ChannelKind, account: string | null): OnRunFailure | undefined {
  const list = f?.notify ?? [];
  const at = list.findIndex((c) => channelKind(c) === kind);
  let next: NotifyChannel[];
  if (account === null) next = list.filter((_, i) => i !== at);
  else if (at >= 0) next = list.map((c, i) => (i === at ? channel(kind, account) : c));
  else next = [...list, channel(kind, account)];
  return tidy({ ...f, notify: next });
}

/** Sets (or, with "", clears) the workflow a failure starts. */
export function withStartWorkflow(f: OnRunFailure | undefined, workflow: string): OnRunFailure | undefined {
  return tidy({ ...f, start_workflow: workflow });
}
