// Pieces more than one node form uses: a fixed date, days before or after a
// date field, and the audience condition of date and schedule triggers.

import type { Condition } from "@/api";
import type { Names } from "@/core/editor/names";

import { ConditionBuilder } from "../ConditionBuilder";
import { CheckField, NumberField, SelectField, TextField } from "../fields";
import styles from "../Inspector.module.css";

/** A fixed calendar date, "2026-09-01". */
export function DateField({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  return (
    <TextField
      label="Date"
      hint="Year-month-day, such as 2026-09-01."
      value={value}
      onChange={(v) => {
        if (/^\d{4}-\d{2}-\d{2}$/.test(v.trim()) && !Number.isNaN(Date.parse(`${v.trim()}T00:00:00Z`))) onChange(v.trim());
      }}
      testId="config-date"
    />
  );
}

/** "N days before/after the date": a signed day count (negative: before). */
export function OffsetDays({ value, onChange, testId }: { value: number; onChange: (days: number) => void; testId?: string }) {
  return (
    <div className={styles.row}>
      <NumberField
        label="Days"
        value={Math.abs(value)}
        min={0}
        max={3650}
        onChange={(v) => onChange(value < 0 ? -Math.round(v) : Math.round(v))}
        testId={testId}
      />
      <SelectField
        label="Before or after"
        placeholder="—"
        value={value < 0 ? "before" : "after"}
        options={[
          { value: "before", label: "before the date" },
          { value: "after", label: "after the date" },
        ]}
        onChange={(v) => onChange(v === "before" ? -Math.abs(value) : Math.abs(value))}
      />
    </div>
  );
}

/** An optional condition narrowing the contacts a date or schedule trigger runs for. */
export function Audience({
  value,
  onChange,
  names,
  everyone = "Every contact with the date",
}: {
  value: Condition | undefined;
  onChange: (c: Condition | undefined) => void;
  names: Names;
  everyone?: string;
}) {
  return (
    <div className={styles.group}>
      <CheckField
        label="Only contacts matching a condition"
        hint={value ? undefined : `Off: ${everyone.toLowerCase()}.`}
        checked={value !== undefined}
        onChange={(on) => onChange(on ? { all: [{ has_tag: "" }] } : undefined)}
        testId="config-audience"
      />
      {value && <ConditionBuilder value={value} onChange={onChange} names={names} />}
    </div>
  );
}
