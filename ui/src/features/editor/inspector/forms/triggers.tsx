// The settings forms of the triggers: what starts a run, and for which
// contacts (payload filters, an audience condition).

import { COMMON_EVENTS } from "@/core/editor/events";
import { withOptional } from "@/core/editor/objects";

import { CheckField, ComboField, FiltersField, NumberField, SelectField, TextField, TimeField, WeekdaysField, ZoneRefField } from "../fields";
import styles from "../Inspector.module.css";
import { type FormProps, options, setters } from "./config";
import { Audience, DateField, OffsetDays } from "./shared";

/** Contact created, purchase completed, refund issued: payload filters only. */
export function FiltersOnlyForm({ node, onNode }: FormProps<"trigger.contact_created" | "trigger.purchase_completed" | "trigger.refund_issued" | "trigger.workflow_failed">) {
  const { setOpt } = setters(node, onNode);
  return <FiltersField filters={node.config.filters ?? []} onChange={(f) => setOpt("filters", f, true)} />;
}

export function FormSubmittedForm({ node, onNode }: FormProps<"trigger.form_submitted">) {
  const { setOpt } = setters(node, onNode);
  return (
    <>
      <TextField
        label="Form (optional)"
        hint="The form's id or name at the form tool; empty for any form."
        value={node.config.form ?? ""}
        onChange={(v) => setOpt("form", v, true)}
        testId="config-form"
      />
      <FiltersField filters={node.config.filters ?? []} onChange={(f) => setOpt("filters", f, true)} />
    </>
  );
}

export function TagTriggerForm({ node, names, onNode }: FormProps<"trigger.tag_added" | "trigger.tag_removed">) {
  const { set, setOpt } = setters(node, onNode);
  return (
    <>
      <ComboField label="Tag" value={node.config.tag} suggestions={names.tags} onChange={(v) => set("tag", v, true)} testId="config-tag" />
      <FiltersField filters={node.config.filters ?? []} onChange={(f) => setOpt("filters", f, true)} />
    </>
  );
}

export function LinkClickedForm({ node, names, onNode }: FormProps<"trigger.link_clicked">) {
  const { setOpt } = setters(node, onNode);
  return (
    <>
      <TextField
        label="Link contains (optional)"
        hint="Only links whose address contains this text."
        value={node.config.url_contains ?? ""}
        onChange={(v) => setOpt("url_contains", v, true)}
        testId="config-url-contains"
      />
      <SelectField
        label="In the email"
        placeholder="Any email"
        value={node.config.email ?? ""}
        options={options(names.templates)}
        onChange={(v) => setOpt("email", v)}
        testId="config-email"
      />
      <FiltersField filters={node.config.filters ?? []} onChange={(f) => setOpt("filters", f, true)} />
    </>
  );
}

/** Email opened, email replied. */
export function EmailEngagementForm({ node, names, onNode }: FormProps<"trigger.email_opened" | "trigger.email_replied">) {
  const { setOpt } = setters(node, onNode);
  return (
    <>
      <SelectField
        label="Email"
        placeholder="Any email"
        value={node.config.email ?? ""}
        options={options(names.templates)}
        onChange={(v) => setOpt("email", v)}
        testId="config-email"
      />
      <FiltersField filters={node.config.filters ?? []} onChange={(f) => setOpt("filters", f, true)} />
    </>
  );
}

export function CourseProgressForm({ node, names, onNode }: FormProps<"trigger.course_progress">) {
  const { set, setOpt } = setters(node, onNode);
  return (
    <>
      <ComboField label="Course" value={node.config.course} suggestions={names.courses} onChange={(v) => set("course", v, true)} testId="config-course" />
      <NumberField
        label="At least (%)"
        value={node.config.at_least_percent}
        min={1}
        max={100}
        onChange={(v) => set("at_least_percent", Math.round(v))}
        testId="config-percent"
      />
      <FiltersField filters={node.config.filters ?? []} onChange={(f) => setOpt("filters", f, true)} />
    </>
  );
}

export function CourseCompletedForm({ node, names, onNode }: FormProps<"trigger.course_completed">) {
  const { set, setOpt } = setters(node, onNode);
  return (
    <>
      <ComboField label="Course" value={node.config.course} suggestions={names.courses} onChange={(v) => set("course", v, true)} testId="config-course" />
      <FiltersField filters={node.config.filters ?? []} onChange={(f) => setOpt("filters", f, true)} />
    </>
  );
}

export function DealStageForm({ node, names, onNode }: FormProps<"trigger.deal_stage_changed">) {
  const { config, setOpt } = setters(node, onNode);
  const pipeline = names.pipelines.find((p) => p.name.toLowerCase() === node.config.pipeline.trim().toLowerCase());
  return (
    <>
      <SelectField
        label="Pipeline"
        value={node.config.pipeline}
        options={options(names.pipelines.map((x) => x.name))}
        onChange={(v) => config(withOptional({ ...node.config, pipeline: v }, "stage", undefined))}
        empty="No pipelines yet: they come with a deal action or an imported workflow."
        testId="config-pipeline"
      />
      <SelectField
        label="Into stage"
        placeholder="Any stage"
        value={node.config.stage ?? ""}
        options={options(pipeline?.stages ?? [])}
        onChange={(v) => setOpt("stage", v)}
        testId="config-stage"
      />
      <FiltersField filters={node.config.filters ?? []} onChange={(f) => setOpt("filters", f, true)} />
    </>
  );
}

export function DateTriggerForm({ node, names, onNode }: FormProps<"trigger.date">) {
  const { config, set, setOpt } = setters(node, onNode);
  const c = node.config;
  const fixed = c.date !== undefined;
  const dateFields = names.fields.filter((f) => f.type === "date").map((f) => f.name);
  const kept = { time: c.time, ...(c.timezone ? { timezone: c.timezone } : {}), ...(c.audience ? { audience: c.audience } : {}) };
  return (
    <>
      <SelectField
        label="Runs on"
        placeholder="—"
        value={fixed ? "date" : "field"}
        options={[
          { value: "field", label: "A date in each contact's record" },
          { value: "date", label: "A fixed date" },
        ]}
        onChange={(v) => config(v === "date" ? { date: "2026-01-01", ...kept } : { field: "", ...kept })}
        testId="config-date-mode"
      />
      {fixed ? (
        <DateField value={c.date ?? ""} onChange={(v) => set("date", v)} />
      ) : (
        <>
          <SelectField
            label="Date field"
            value={c.field ?? ""}
            options={options(dateFields)}
            onChange={(v) => set("field", v)}
            empty="No date fields yet: define one (such as birthday) on the Contacts screen."
            testId="config-field"
          />
          <OffsetDays value={c.offset_days ?? 0} onChange={(d) => setOpt("offset_days", d)} testId="config-offset" />
          <CheckField label="Every year (an anniversary)" checked={c.yearly ?? false} onChange={(v) => setOpt("yearly", v || undefined)} />
        </>
      )}
      <TimeField label="At" value={c.time} onChange={(v) => set("time", v)} testId="config-time" />
      <ZoneRefField label="In" value={c.timezone} onChange={(z) => setOpt("timezone", z)} />
      <Audience value={c.audience} onChange={(a) => setOpt("audience", a)} names={names} />
    </>
  );
}

export function ScheduleForm({ node, names, onNode }: FormProps<"trigger.schedule">) {
  const { config, set, setOpt } = setters(node, onNode);
  const c = node.config;
  return (
    <>
      <SelectField
        label="Every"
        placeholder="—"
        value={c.every}
        options={[
          { value: "day", label: "Day" },
          { value: "week", label: "Week, on chosen days" },
        ]}
        onChange={(v) => v && config(v === "day" ? withOptional({ ...c, every: "day" }, "weekdays", undefined) : { ...c, every: "week", weekdays: c.weekdays ?? ["mon"] })}
        testId="config-every"
      />
      {c.every === "week" && <WeekdaysField label="On" value={c.weekdays ?? []} onChange={(d) => setOpt("weekdays", d)} />}
      <TimeField label="At" value={c.time} onChange={(v) => set("time", v)} testId="config-time" />
      <ZoneRefField label="In" value={c.timezone} onChange={(z) => setOpt("timezone", z)} />
      <Audience value={c.audience} onChange={(a) => setOpt("audience", a)} names={names} everyone="Every subscribed contact" />
    </>
  );
}

export function ManualForm() {
  return <p className={styles.note}>Runs start when you add a contact by hand or start a test run. Nothing to set.</p>;
}

export function CustomEventForm({ node, onNode }: FormProps<"trigger.event">) {
  const { set, setOpt } = setters(node, onNode);
  return (
    <>
      <ComboField
        label="Event type"
        value={node.config.event_type}
        suggestions={COMMON_EVENTS}
        placeholder="webinar.attended"
        onChange={(v) => set("event_type", v, true)}
        testId="config-event-type"
      />
      <FiltersField filters={node.config.filters ?? []} onChange={(f) => setOpt("filters", f, true)} />
    </>
  );
}
