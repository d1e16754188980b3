// The workflow's customer-experience event (`settings.experience_event`):
// one downstream event type whose rate per contact analytics compares
// between contacts who went through the workflow and those who did not.

import type { WorkflowDef } from "@/api";
import { COMMON_EVENTS } from "@/core/editor/events";
import { withOptional } from "@/core/editor/objects";

import { ComboField } from "./fields";
import styles from "./Inspector.module.css";

type Props = { def: WorkflowDef; onDef: (d: WorkflowDef, coalesce?: string) => void };

export function ExperienceSection({ def, onDef }: Props) {
  const s = def.settings;
  return (
    <section className={styles.section}>
      <h3>Customer experience</h3>
      <p className={styles.hint}>
        An event downstream, such as refund.issued or ticket.opened: analytics shows how often it happens per contact
        to those who went through this workflow and to the others. Leave empty for none.
      </p>
      <ComboField
        label="Downstream event"
        value={s.experience_event ?? ""}
        suggestions={COMMON_EVENTS}
        placeholder="ticket.opened"
        onChange={(v) => onDef({ ...def, settings: withOptional(s, "experience_event", v.trim() === "" ? undefined : v) }, "settings.experience")}
        testId="settings-experience-event"
      />
    </section>
  );
}
