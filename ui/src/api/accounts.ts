// Commands of the Accounts screen (src-tauri/commands/accounts.rs). A
// secret is an argument of one add call and is never returned.

import type { Account, AccountKind, CoursePlatform } from "@/bindings";
import type { AccountView, CourseLink, SmtpAccountInput, SyncSummary } from "@/bindings/app";

import { commandCaller } from "./invoke";

type AccountCommands = {
  list_accounts: { args: Record<string, never>; result: AccountView[] };
  add_smtp_account: { args: { name: string; settings: SmtpAccountInput; password: string | null }; result: Account };
  add_webhook_account: { args: { name: string; signingSecret: string | null }; result: Account };
  add_slack_account: { args: { name: string; webhookUrl: string }; result: Account };
  add_source_account: {
    args: {
      name: string;
      kind: AccountKind;
      settings: Record<string, unknown>;
      pollIntervalSecs: number | null;
      secret: string | null;
    };
    result: Account;
  };
  test_account: { args: { name: string }; result: string };
  sync_account: { args: { name: string }; result: SyncSummary };
  remove_account: { args: { name: string }; result: null };
  linked_courses: { args: { account: string }; result: CoursePlatform[] };
  link_course: { args: { course: string; link: CourseLink | null }; result: CoursePlatform | null };
};

const call = commandCaller<AccountCommands>();

export const accountsApi = {
  list: () => call("list_accounts", {}),
  addSmtp: (name: string, settings: SmtpAccountInput, password: string | null) =>
    call("add_smtp_account", { name, settings, password }),
  addWebhook: (name: string, signingSecret: string | null) => call("add_webhook_account", { name, signingSecret }),
  addSlack: (name: string, webhookUrl: string) => call("add_slack_account", { name, webhookUrl }),
  addSource: (
    name: string,
    kind: AccountKind,
    settings: Record<string, unknown>,
    pollIntervalSecs: number | null,
    secret: string | null,
  ) => call("add_source_account", { name, kind, settings, pollIntervalSecs, secret }),
  /** What the test proved, in words; a failure rejects (and the account needs attention). */
  test: (name: string) => call("test_account", { name }),
  sync: (name: string) => call("sync_account", { name }),
  /** Removes the account and its keyring entry. */
  remove: (name: string) => call("remove_account", { name }),
  /** The courses whose enrolments reach this course platform account. */
  linkedCourses: (account: string) => call("linked_courses", { account }),
  /** Links a course to a platform account and its id there; `null` makes it local again. */
  linkCourse: (course: string, link: CourseLink | null) => call("link_course", { course, link }),
};
