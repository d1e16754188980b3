// The inspector's inputs. Each edits one value of the draft and reports the
// next value; none holds the draft itself. Text that is not a valid value
// yet (a duration "2x", a time "25:00") stays in the input with a message
// and is not written to the draft until it is valid.

import { Plus, Trash2 } from "lucide-react";
import { type ReactNode, useEffect, useId, useState } from "react";

import { Field, inputClass, selectClass } from "@/components";
import type { ErrorPolicy, Filter, LatePolicy, Op, Weekday } from "@/api";
import { OPS, opNeedsValue, valueFromText, valueToText } from "@/core/editor/conditions";
import { formatDuration, parseDuration } from "@/core/editor/duration";
import { DEFAULT_POLICY } from "@/core/editor/policy";
import { WEEKDAYS, isTimeOfDay, sortWeekdays, timezoneNames } from "@/core/editor/timezones";

import styles from "./Inspector.module.css";

type Base = { label: string; hint?: string; testId?: string };

export function TextField({
  label,
  hint,
  testId,
  value,
  onChange,
  placeholder,
  rows,
  mono,
}: Base & { value: string; onChange: (v: string) => void; placeholder?: string; rows?: number; mono?: boolean }) {
  const id = useId();
  return (
    <Field label={label} htmlFor={id} hint={hint}>
      {rows ? (
        <textarea
          id={id}
          className={`${inputClass} ${mono ? styles.mono : ""}`}
          rows={rows}
          value={value}
          placeholder={placeholder}
          onChange={(e) => onChange(e.target.value)}
          data-testid={testId}
        />
      ) : (
        <input
          id={id}
          className={`${inputClass} ${mono ? styles.mono : ""}`}
          value={value}
          placeholder={placeholder}
          onChange={(e) => onChange(e.target.value)}
          data-testid={testId}
        />
      )}
    </Field>
  );
}

export function NumberField({
  label,
  hint,
  testId,
  value,
  onChange,
  min,
  max,
  step,
}: Base & { value: number; onChange: (v: number) => void; min?: number; max?: number; step?: number }) {
  const id = useId();
  const [text, setText] = useState(String(value));
  useEffect(() => setText(String(value)), [value]);
  const n = Number(text);
  const bad = text.trim() === "" || Number.isNaN(n) || (min !== undefined && n < min) || (max !== undefined && n > max);
  return (
    <Field
      label={label}
      htmlFor={id}
      hint={hint}
      error={bad ? `Enter a number${min !== undefined ? ` from ${min}` : ""}${max !== undefined ? ` to ${max}` : ""}.` : undefined}
    >
      <input
        id={id}
        type="number"
        className={inputClass}
        value={text}
        min={min}
        max={max}
        step={step}
        aria-invalid={bad || undefined}
        onChange={(e) => {
          setText(e.target.value);
          const v = Number(e.target.value);
          if (e.target.value.trim() !== "" && !Number.isNaN(v) && (min === undefined || v >= min) && (max === undefined || v <= max)) {
            onChange(v);
          }
        }}
        data-testid={testId}
      />
    </Field>
  );
}

export type Option = { value: string; label: string };

/**
 * A choice among known names. A value that is not among them (a file
 * naming an account this laptop lacks) stays visible as "… (not found)",
 * so the user sees what the validation message talks about.
 */
export function SelectField({
  label,
  hint,
  testId,
  value,
  onChange,
  options,
  placeholder = "Choose…",
  empty,
}: Base & {
  value: string;
  onChange: (v: string) => void;
  options: Option[];
  placeholder?: string;
  /** Said under the select when there is nothing to choose from. */
  empty?: ReactNode;
}) {
  const id = useId();
  const known = options.some((o) => o.value === value);
  return (
    <Field label={label} htmlFor={id} hint={hint}>
      <select
        id={id}
        className={selectClass}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        data-testid={testId}
      >
        <option value="">{placeholder}</option>
        {!known && value !== "" && <option value={value}>{value} (not found)</option>}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {options.length === 0 && empty && <p className={styles.emptyHint}>{empty}</p>}
    </Field>
  );
}

/** Free text with suggestions (a new tag is fine; known ones are offered). */
export function ComboField({
  label,
  hint,
  testId,
  value,
  onChange,
  suggestions,
  placeholder,
}: Base & { value: string; onChange: (v: string) => void; suggestions: string[]; placeholder?: string }) {
  const id = useId();
  const listId = `${id}-list`;
  return (
    <Field label={label} htmlFor={id} hint={hint}>
      <input
        id={id}
        className={inputClass}
        list={listId}
        value={value}
        placeholder={placeholder}
        onChange={(e) => onChange(e.target.value)}
        data-testid={testId}
        autoComplete="off"
      />
      <datalist id={listId}>
        {suggestions.map((s) => (
          <option key={s} value={s} />
        ))}
      </datalist>
    </Field>
  );
}

/** A duration such as "2d", "3h" or "1d12h"; written in its canonical spelling. */
export function DurationField({
  label,
  hint,
  testId,
  value,
  onChange,
}: Base & { value: string; onChange: (v: string) => void }) {
  const id = useId();
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const secs = parseDuration(text);
  return (
    <Field
      label={label}
      htmlFor={id}
      hint={hint ?? "Such as 2d, 3h, 45m or 1d12h (w, d, h, m, s)."}
      error={secs === null ? "Use a duration such as 2d, 3h or 1d12h." : undefined}
    >
      <input
        id={id}
        className={`${inputClass} ${styles.short}`}
        value={text}
        aria-invalid={secs === null || undefined}
        onChange={(e) => {
          setText(e.target.value);
          const s = parseDuration(e.target.value);
          if (s !== null) onChange(e.target.value.trim());
        }}
        onBlur={() => {
          const s = parseDuration(text);
          if (s !== null) {
            const canonical = formatDuration(s);
            setText(canonical);
            if (canonical !== value) onChange(canonical);
          }
        }}
        data-testid={testId}
      />
    </Field>
  );
}

/** A 24-hour time of day, "09:00". */
export function TimeField({ label, hint, testId, value, onChange }: Base & { value: string; onChange: (v: string) => void }) {
  const id = useId();
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const ok = isTimeOfDay(text);
  const normal = (t: string) => {
    const [h, m] = t.trim().split(":");
    return `${h!.padStart(2, "0")}:${m}`;
  };
  return (
    <Field label={label} htmlFor={id} hint={hint} error={ok ? undefined : "Use a 24-hour time such as 09:00."}>
      <input
        id={id}
        className={`${inputClass} ${styles.short}`}
        value={text}
        placeholder="09:00"
        aria-invalid={!ok || undefined}
        onChange={(e) => {
          setText(e.target.value);
          if (isTimeOfDay(e.target.value)) onChange(normal(e.target.value));
        }}
        data-testid={testId}
      />
    </Field>
  );
}

export function WeekdaysField({
  label,
  hint,
  testId,
  value,
  onChange,
}: Base & { value: Weekday[]; onChange: (v: Weekday[]) => void }) {
  return (
    <div className={styles.group} data-testid={testId}>
      <span className={styles.groupLabel}>{label}</span>
      <div className={styles.weekdays} role="group" aria-label={label}>
        {WEEKDAYS.map((w) => {
          const on = value.includes(w.day);
          return (
            <button
              key={w.day}
              type="button"
              className={`${styles.day} ${on ? styles.dayOn : ""}`}
              aria-pressed={on}
              title={w.long}
              onClick={() => onChange(sortWeekdays(on ? value.filter((d) => d !== w.day) : [...value, w.day]))}
            >
              {w.short}
            </button>
          );
        })}
      </div>
      {hint && <p className={styles.hint}>{hint}</p>}
    </div>
  );
}

const ZONES = timezoneNames();

/** An IANA zone (the workflow's own zone). */
export function TimezoneField({ label, hint, testId, value, onChange }: Base & { value: string; onChange: (v: string) => void }) {
  const id = useId();
  return (
    <Field label={label} htmlFor={id} hint={hint}>
      <select id={id} className={selectClass} value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
        {!ZONES.includes(value) && <option value={value}>{value}</option>}
        {ZONES.map((z) => (
          <option key={z} value={z}>
            {z.replace(/_/g, " ")}
          </option>
        ))}
      </select>
    </Field>
  );
}

/**
 * Which zone a wall-clock time is read in: the workflow's (the default,
 * left out of the file), the contact's own, or a named zone.
 */
export function ZoneRefField({
  label,
  hint,
  testId,
  value,
  onChange,
}: Base & { value: string | undefined; onChange: (v: string | undefined) => void }) {
  const id = useId();
  const v = value ?? "workflow";
  return (
    <Field label={label} htmlFor={id} hint={hint}>
      <select
        id={id}
        className={selectClass}
        value={v}
        onChange={(e) => onChange(e.target.value === "workflow" ? undefined : e.target.value)}
        data-testid={testId}
      >
        <option value="workflow">The workflow’s time zone</option>
        <option value="contact">The contact’s time zone</option>
        <optgroup label="A fixed zone">
          {!ZONES.includes(v) && v !== "workflow" && v !== "contact" && <option value={v}>{v}</option>}
          {ZONES.map((z) => (
            <option key={z} value={z}>
              {z.replace(/_/g, " ")}
            </option>
          ))}
        </optgroup>
      </select>
    </Field>
  );
}

export function CheckField({
  label,
  hint,
  testId,
  checked,
  onChange,
}: Base & { checked: boolean; onChange: (v: boolean) => void }) {
  return (
    <label className={styles.check}>
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} data-testid={testId} />
      <span>
        {label}
        {hint && <span className={styles.hint}>{hint}</span>}
      </span>
    </label>
  );
}

/** Tests on the trigger event's payload: key, comparison, value. */
export function FiltersField({
  label = "Only when the event’s payload matches",
  filters,
  onChange,
  testId = "filters",
}: {
  label?: string;
  filters: Filter[];
  onChange: (f: Filter[]) => void;
  testId?: string;
}) {
  const set = (i: number, f: Filter) => onChange(filters.map((x, j) => (j === i ? f : x)));
  return (
    <div className={styles.group} data-testid={testId}>
      <span className={styles.groupLabel}>{label}</span>
      {filters.length === 0 && <p className={styles.hint}>Every event of this kind starts a run.</p>}
      {filters.map((f, i) => (
        <div key={i} className={styles.filterRow} data-testid="filter-row">
          <input
            className={`${inputClass} ${styles.mono}`}
            aria-label="Payload key"
            placeholder="product"
            value={f.path}
            onChange={(e) => set(i, { ...f, path: e.target.value })}
            data-testid="filter-path"
          />
          <select
            className={selectClass}
            aria-label="Comparison"
            value={f.op}
            onChange={(e) => {
              const op = e.target.value as Op;
              const next: Filter = { path: f.path, op };
              const v = valueFromText(op, valueToText(f.value));
              if (v !== undefined) next.value = v;
              set(i, next);
            }}
            data-testid="filter-op"
          >
            {OPS.map((o) => (
              <option key={o.op} value={o.op}>
                {o.title}
              </option>
            ))}
          </select>
          {opNeedsValue(f.op) ? (
            <input
              className={inputClass}
              aria-label="Value"
              placeholder="Program A"
              value={valueToText(f.value)}
              onChange={(e) => set(i, { path: f.path, op: f.op, value: valueFromText(f.op, e.target.value) })}
              data-testid="filter-value"
            />
          ) : (
            <span />
          )}
          <button
            type="button"
            className={styles.iconButton}
            aria-label="Remove this filter"
            onClick={() => onChange(filters.filter((_, j) => j !== i))}
          >
            <Trash2 size={15} aria-hidden />
          </button>
        </div>
      ))}
      <button
        type="button"
        className={styles.addButton}
        onClick={() => onChange([...filters, { path: "", op: "eq", value: "" }])}
        data-testid="add-filter"
      >
        <Plus size={14} aria-hidden /> Add filter
      </button>
    </div>
  );
}

/** Retries with backoff, then fail the run or follow the "error" exit. */
export function ErrorPolicyField({
  policy,
  onChange,
}: {
  policy: ErrorPolicy | undefined;
  onChange: (p: ErrorPolicy | undefined) => void;
}) {
  const p = policy ?? DEFAULT_POLICY;
  const set = (next: ErrorPolicy) =>
    onChange(
      next.max_attempts === DEFAULT_POLICY.max_attempts && next.backoff === DEFAULT_POLICY.backoff && next.then === DEFAULT_POLICY.then
        ? undefined
        : next,
    );
  return (
    <details className={styles.section} open={policy !== undefined} data-testid="error-policy">
      <summary>When this step fails</summary>
      <div className={styles.row}>
        <NumberField
          label="Attempts"
          value={p.max_attempts}
          min={1}
          max={50}
          onChange={(v) => set({ ...p, max_attempts: Math.round(v) })}
          testId="policy-attempts"
        />
        <DurationField
          label="First retry after"
          hint="Each next retry waits twice as long."
          value={p.backoff}
          onChange={(v) => set({ ...p, backoff: v })}
          testId="policy-backoff"
        />
      </div>
      <SelectField
        label="After the last attempt"
        value={p.then}
        placeholder="—"
        options={[
          { value: "fail", label: "Fail the run" },
          { value: "error_exit", label: "Go on through the “Error” exit" },
        ]}
        onChange={(v) => v && set({ ...p, then: v as ErrorPolicy["then"] })}
        testId="policy-then"
      />
    </details>
  );
}

/** What a wait does when it fires late (the laptop was closed or asleep). */
export function LatePolicyField({
  late,
  onChange,
}: {
  late: LatePolicy | undefined;
  onChange: (l: LatePolicy | undefined) => void;
}) {
  const skip = late?.skip_if_late_by;
  return (
    <details className={styles.section} open={skip !== undefined} data-testid="late-policy">
      <summary>When the wait ends late</summary>
      <p className={styles.hint}>If this laptop was closed or asleep when the wait ended, the run goes on at the next start.</p>
      <CheckField
        label="Skip the rest of the run when it is too late"
        checked={skip !== undefined}
        onChange={(on) => onChange(on ? { skip_if_late_by: "1d" } : undefined)}
        testId="late-skip"
      />
      {skip !== undefined && (
        <DurationField label="Too late means later than" value={skip} onChange={(v) => onChange({ skip_if_late_by: v })} testId="late-by" />
      )}
    </details>
  );
}
