// "When a run fails" in the workflow's settings: who is told (desktop,
// Slack, the owner of an SMTP account) and which workflow starts for the
// run's contact (one with an "A run of another workflow failed" trigger).

import type { WorkflowDef } from "@/api";
import { type ChannelKind, accountOf, channelOf, withChannel, withStartWorkflow } from "@/core/editor/failure";
import { accountsOfKind, type Names } from "@/core/editor/names";
import { withOptional } from "@/core/editor/objects";

import { CheckField, SelectField } from "./fields";
import { options } from "./forms/config";
import styles from "./Inspector.module.css";

const CHANNELS: { kind: ChannelKind; label: string; account?: { label: string; kind: "slack" | "smtp" } }[] = [
  { kind: "desktop", label: "Desktop notification" },
  { kind: "slack", label: "Slack message", account: { label: "Slack account", kind: "slack" } },
  { kind: "email_owner", label: "Email to the owner", account: { label: "SMTP account (its owner address)", kind: "smtp" } },
];

export function OnRunFailureSection({ def, names, onDef }: { def: WorkflowDef; names: Names; onDef: (d: WorkflowDef, key?: string) => void }) {
  const s = def.settings;
  const f = s.on_run_failure;
  const put = (next: typeof f, key?: string) =>
    onDef({ ...def, settings: withOptional(s, "on_run_failure", next) }, key && `settings.failure.${key}`);
  return (
    <section className={styles.section} data-testid="settings-on-failure">
      <h3>When a run fails</h3>
      <p className={styles.hint}>
        Each time a live run fails — the first time or after a retry. A run started by a failure never starts another
        workflow when it fails itself.
      </p>
      {CHANNELS.map((c) => {
        const current = channelOf(f, c.kind);
        return (
          <div key={c.kind}>
            <CheckField
              label={c.label}
              checked={current !== undefined}
              onChange={(on) => put(withChannel(f, c.kind, on ? "" : null))}
              testId={`failure-${c.kind}`}
            />
            {current !== undefined && c.account && (
              <div className={styles.indent}>
                <SelectField
                  label={c.account.label}
                  value={accountOf(current)}
                  options={options(accountsOfKind(names, [c.account.kind]))}
                  onChange={(a) => put(withChannel(f, c.kind, a))}
                  empty={`No ${c.account.kind === "slack" ? "Slack" : "SMTP"} account yet: add one on the Accounts screen.`}
                  testId={`failure-${c.kind}-account`}
                />
              </div>
            )}
          </div>
        );
      })}
      <SelectField
        label="Start a workflow for the contact"
        hint="It starts at its “A run of another workflow failed” trigger, with the workflow, node, error and run."
        placeholder="None"
        value={f?.start_workflow ?? ""}
        options={options(names.workflows)}
        onChange={(w) => put(withStartWorkflow(f, w))}
        empty="There are no other workflows yet."
        testId="failure-start-workflow"
      />
    </section>
  );
}
