// The workflow's own settings, shown when no node is selected: name,
// description, time zone, re-entry, send window, goals, what a run saves,
// what happens when a run fails, the customer-experience event, and the
// workflow's email templates.

import { Plus, Trash2 } from "lucide-react";

import type { EmailTemplate, Goal, Reentry, SendWindow, WorkflowDef } from "@/api";
import { freeTemplateName, putTemplate, removeTemplate } from "@/core/editor/edit";
import { COMMON_EVENTS } from "@/core/editor/events";
import type { Names } from "@/core/editor/names";
import { omit, withOptional } from "@/core/editor/objects";

import {
  CheckField,
  ComboField,
  FiltersField,
  NumberField,
  TextField,
  TimeField,
  TimezoneField,
  WeekdaysField,
  ZoneRefField,
} from "./fields";
import styles from "./Inspector.module.css";
import { ExperienceSection } from "./ExperienceSection";
import { OnRunFailureSection } from "./OnRunFailureSection";
import { TemplateEditor } from "./TemplateEditor";

const REENTRY: { value: Reentry; title: string; hint: string }[] = [
  { value: "once", title: "Once ever", hint: "A contact goes through this workflow one time only." },
  { value: "one_at_a_time", title: "One run at a time", hint: "Again later, but never two runs at once." },
  { value: "always", title: "Every time", hint: "Each trigger starts a run, even while another is going." },
];

export function WorkflowSettings({
  def,
  names,
  onDef,
}: {
  def: WorkflowDef;
  names: Names;
  onDef: (d: WorkflowDef, key?: string) => void;
}) {
  const s = def.settings;
  const settings = (patch: Partial<typeof s>, key?: string) => onDef({ ...def, settings: { ...s, ...patch } }, key && `settings.${key}`);
  const window: SendWindow | undefined = s.send_window;
  const goals = def.goals ?? [];
  const setGoals = (g: Goal[], key?: string) => {
    onDef(withOptional(def, "goals", g), key);
  };
  const templates = def.email_templates ?? [];
  return (
    <div className={styles.settings} data-testid="workflow-settings">
      <section className={styles.section}>
        <h3>About</h3>
        <TextField label="Name" value={def.name} onChange={(name) => onDef({ ...def, name }, "name")} testId="settings-name" />
        <TextField
          label="Description"
          rows={2}
          value={def.description ?? ""}
          onChange={(d) => {
            onDef(withOptional(def, "description", d), "description");
          }}
          testId="settings-description"
        />
      </section>

      <section className={styles.section}>
        <h3>Time</h3>
        <TimezoneField
          label="Time zone"
          hint="Waits and windows read wall-clock times here unless they say otherwise."
          value={s.timezone}
          onChange={(timezone) => settings({ timezone })}
          testId="settings-timezone"
        />
        <CheckField
          label="Send only within a window"
          hint="Emails and webhooks due outside it wait for the next opening."
          checked={window !== undefined}
          onChange={(on) => {
            if (on) settings({ send_window: { days: ["mon", "tue", "wed", "thu", "fri"], from: "08:00", to: "20:00" } });
            else {
              onDef({ ...def, settings: omit(s, "send_window") });
            }
          }}
          testId="settings-send-window"
        />
        {window && (
          <div className={styles.indent}>
            <WeekdaysField
              label="Days"
              hint="None selected: every day."
              value={window.days ?? []}
              onChange={(days) => {
                settings({ send_window: withOptional(window, "days", days) });
              }}
            />
            <div className={styles.row}>
              <TimeField label="From" value={window.from} onChange={(from) => settings({ send_window: { ...window, from } })} />
              <TimeField label="Until" value={window.to} onChange={(to) => settings({ send_window: { ...window, to } })} />
            </div>
            <ZoneRefField
              label="In"
              value={window.timezone}
              onChange={(z) => {
                settings({ send_window: withOptional(window, "timezone", z) });
              }}
            />
          </div>
        )}
      </section>

      <section className={styles.section}>
        <h3>Re-entry</h3>
        <div className={styles.radios} role="radiogroup" aria-label="Re-entry">
          {REENTRY.map((r) => (
            <label key={r.value} className={styles.radio}>
              <input
                type="radio"
                name="reentry"
                checked={s.reentry === r.value}
                onChange={() => settings({ reentry: r.value })}
                data-testid={`reentry-${r.value}`}
              />
              <span>
                <strong>{r.title}</strong>
                <span className={styles.hint}>{r.hint}</span>
              </span>
            </label>
          ))}
        </div>
      </section>

      <section className={styles.section}>
        <h3>Goals</h3>
        <p className={styles.hint}>A run leaves the workflow when a goal’s event happens (an abandoned-cart run ends on purchase).</p>
        {goals.map((g, i) => (
          <div key={i} className={styles.path} data-testid="goal">
            <div className={styles.pathHead}>
              <TextField label="Goal" value={g.name} onChange={(name) => setGoals(goals.map((x, j) => (j === i ? { ...x, name } : x)), `goal${i}`)} />
              <button type="button" className={styles.iconButton} aria-label="Remove goal" onClick={() => setGoals(goals.filter((_, j) => j !== i))}>
                <Trash2 size={15} aria-hidden />
              </button>
            </div>
            <ComboField
              label="When this event happens"
              value={g.event_type}
              suggestions={COMMON_EVENTS}
              onChange={(event_type) => setGoals(goals.map((x, j) => (j === i ? { ...x, event_type } : x)), `goal${i}e`)}
            />
            <FiltersField
              label="Whose payload matches"
              filters={g.filters ?? []}
              onChange={(f) =>
                setGoals(
                  goals.map((x, j) => {
                    if (j !== i) return x;
                    return withOptional(x, "filters", f);
                  }),
                  `goal${i}f`,
                )
              }
            />
            <CheckField
              label="Counts as a conversion"
              checked={g.conversion ?? true}
              onChange={(c) =>
                setGoals(
                  goals.map((x, j) => {
                    if (j !== i) return x;
                    return withOptional(x, "conversion", c ? undefined : false);
                  }),
                )
              }
            />
          </div>
        ))}
        <button
          type="button"
          className={styles.addButton}
          onClick={() => setGoals([...goals, { name: `Goal ${goals.length + 1}`, event_type: "purchase.completed" }])}
          data-testid="add-goal"
        >
          <Plus size={14} aria-hidden /> Add goal
        </button>
      </section>

      <OnRunFailureSection def={def} names={names} onDef={onDef} />

      <section className={styles.section}>
        <h3>Time saved</h3>
        <p className={styles.hint}>Analytics shows the cost a completed run saves: minutes of manual work × hourly rate.</p>
        <div className={styles.row}>
          <NumberField
            label="Minutes per run"
            value={s.manual_minutes_per_run ?? 0}
            min={0}
            onChange={(v) => {
              onDef({ ...def, settings: withOptional(s, "manual_minutes_per_run", v || undefined) }, "settings.minutes");
            }}
            testId="settings-minutes"
          />
          <NumberField
            label="Hourly rate"
            value={s.hourly_rate ?? 0}
            min={0}
            onChange={(v) => {
              onDef({ ...def, settings: withOptional(s, "hourly_rate", v || undefined) }, "settings.rate");
            }}
            testId="settings-rate"
          />
        </div>
      </section>

      <ExperienceSection def={def} onDef={onDef} />

      <section className={styles.section}>
        <h3>Emails</h3>
        <p className={styles.hint}>The emails this workflow sends travel inside it, so an exported file brings them along.</p>
        {templates.length === 0 && <p className={styles.note}>No emails yet.</p>}
        {templates.map((t, i) => (
          <TemplateEditor
            key={i}
            template={t}
            nameTaken={(n) => templates.some((x, j) => j !== i && x.name.toLowerCase() === n.trim().toLowerCase())}
            onChange={(next: EmailTemplate) => onDef(putTemplate(def, t.name, next), `template${i}`)}
            onRemove={() => onDef(removeTemplate(def, t.name))}
          />
        ))}
        <button
          type="button"
          className={styles.addButton}
          onClick={() => onDef(putTemplate(def, null, { name: freeTemplateName(def), subject: "", body: "" }))}
          data-testid="add-template"
        >
          <Plus size={14} aria-hidden /> New email
        </button>
      </section>
    </div>
  );
}
