// The settings forms of the waits: for a duration, until a weekday and
// time, until a contact's date, or for an event (each with its late policy).

import { COMMON_EVENTS } from "@/core/editor/events";

import { ComboField, DurationField, FiltersField, LatePolicyField, SelectField, TextField, TimeField, WeekdaysField, ZoneRefField } from "../fields";
import styles from "../Inspector.module.css";
import { type FormProps, options, setters } from "./config";
import { OffsetDays } from "./shared";

export function WaitDurationForm({ node, onNode }: FormProps<"wait.duration">) {
  const { set, setOpt } = setters(node, onNode);
  return (
    <>
      <DurationField label="Wait for" value={node.config.duration} onChange={(v) => set("duration", v, true)} testId="config-duration" />
      <LatePolicyField late={node.config.late} onChange={(l) => setOpt("late", l)} />
    </>
  );
}

export function WaitUntilTimeForm({ node, onNode }: FormProps<"wait.until_time">) {
  const { set, setOpt } = setters(node, onNode);
  return (
    <>
      <WeekdaysField label="Until the next" hint="None selected: the next day at that time." value={node.config.weekdays ?? []} onChange={(d) => setOpt("weekdays", d)} />
      <TimeField label="At" value={node.config.time} onChange={(v) => set("time", v)} testId="config-time" />
      <ZoneRefField label="In" value={node.config.timezone} onChange={(z) => setOpt("timezone", z)} />
      <LatePolicyField late={node.config.late} onChange={(l) => setOpt("late", l)} />
    </>
  );
}

export function WaitUntilDateForm({ node, names, onNode }: FormProps<"wait.until_date">) {
  const { set, setOpt } = setters(node, onNode);
  const dateFields = names.fields.filter((f) => f.type === "date").map((f) => f.name);
  return (
    <>
      <SelectField
        label="Date field"
        value={node.config.field}
        options={options(dateFields)}
        onChange={(v) => set("field", v)}
        empty="No date fields yet: define one on the Contacts screen."
        testId="config-field"
      />
      <OffsetDays value={node.config.offset_days ?? 0} onChange={(d) => setOpt("offset_days", d)} />
      <TimeField label="At" value={node.config.time} onChange={(v) => set("time", v)} />
      <ZoneRefField label="In" value={node.config.timezone} onChange={(z) => setOpt("timezone", z)} />
      <p className={styles.hint}>When the field is empty or the moment has passed, the run goes on at once.</p>
      <LatePolicyField late={node.config.late} onChange={(l) => setOpt("late", l)} />
    </>
  );
}

export function WaitForEventForm({ node, onNode }: FormProps<"wait.for_event">) {
  const { set, setOpt } = setters(node, onNode);
  return (
    <>
      <ComboField
        label="Event type"
        value={node.config.event_type}
        suggestions={COMMON_EVENTS}
        placeholder="purchase.completed"
        onChange={(v) => set("event_type", v, true)}
        testId="config-event-type"
      />
      <TextField
        label="Same as the trigger’s (optional)"
        hint="Payload keys that must match the trigger event, comma-separated, such as order_id."
        value={(node.config.correlate ?? []).join(", ")}
        onChange={(v) =>
          setOpt(
            "correlate",
            v.split(",").map((x) => x.trim()).filter(Boolean),
            true,
          )
        }
        testId="config-correlate"
      />
      <FiltersField label="Whose payload matches" filters={node.config.filters ?? []} onChange={(f) => setOpt("filters", f, true)} />
      <DurationField label="Give up after" hint="Then the run takes the “Timed out” exit." value={node.config.timeout} onChange={(v) => set("timeout", v, true)} testId="config-timeout" />
      <LatePolicyField late={node.config.late} onChange={(l) => setOpt("late", l)} />
    </>
  );
}
