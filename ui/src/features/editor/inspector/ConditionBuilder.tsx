// The condition builder: a group (all / any of, optionally negated) of
// rules, and nested groups for mixed AND / OR. Rules cover every condition
// of the model: contact field, has / lacks tag, trigger payload, engagement
// with an email, event history, random split and a time window.

import { Plus, Trash2 } from "lucide-react";

import { inputClass, selectClass } from "@/components";
import type { Condition, Op } from "@/api";
import {
  type GroupView,
  OPS,
  RULE_KINDS,
  type RuleKind,
  asGroup,
  conditionKind,
  fromGroup,
  isGroup,
  newRule,
  opNeedsValue,
  valueFromText,
  valueToText,
} from "@/core/editor/conditions";
import { COMMON_EVENTS } from "@/core/editor/events";
import type { Names } from "@/core/editor/names";
import { withOptional } from "@/core/editor/objects";

import { ComboField, DurationField, FiltersField, NumberField, SelectField, TimeField, WeekdaysField, ZoneRefField } from "./fields";
import styles from "./Inspector.module.css";

type Props = {
  value: Condition;
  onChange: (c: Condition) => void;
  names: Names;
  depth?: number;
};

export function ConditionBuilder({ value, onChange, names, depth = 0 }: Props) {
  const g = asGroup(value);
  const set = (next: GroupView) => onChange(fromGroup(next));
  const setItem = (i: number, c: Condition) => set({ ...g, items: g.items.map((x, j) => (j === i ? c : x)) });
  return (
    <div className={`${styles.condGroup} ${depth > 0 ? styles.nested : ""}`} data-testid="condition-group">
      <div className={styles.condHeader}>
        <select
          className={selectClass}
          aria-label="How the rules combine"
          value={`${g.negated ? "not-" : ""}${g.join}`}
          onChange={(e) => {
            const v = e.target.value;
            set({ ...g, negated: v.startsWith("not-"), join: v.endsWith("any") ? "any" : "all" });
          }}
          data-testid="condition-join"
        >
          <option value="all">All of these hold (AND)</option>
          <option value="any">Any of these holds (OR)</option>
          <option value="not-all">Not all of these hold</option>
          <option value="not-any">None of these holds</option>
        </select>
      </div>
      {g.items.length === 0 && <p className={styles.hint}>No rules: {g.join === "all" ? "always holds" : "never holds"}.</p>}
      {g.items.map((c, i) => (
        <div key={i} className={styles.condItem} data-testid="condition-item">
          {isGroup(c) || "not" in c ? (
            <ConditionBuilder value={c} onChange={(n) => setItem(i, n)} names={names} depth={depth + 1} />
          ) : (
            <Rule value={c} onChange={(n) => setItem(i, n)} names={names} />
          )}
          <button
            type="button"
            className={styles.iconButton}
            aria-label="Remove"
            onClick={() => set({ ...g, items: g.items.filter((_, j) => j !== i) })}
          >
            <Trash2 size={15} aria-hidden />
          </button>
        </div>
      ))}
      <div className={styles.condAdd}>
        <button
          type="button"
          className={styles.addButton}
          onClick={() => set({ ...g, items: [...g.items, newRule("has_tag")] })}
          data-testid="add-rule"
        >
          <Plus size={14} aria-hidden /> Rule
        </button>
        {depth < 3 && (
          <button
            type="button"
            className={styles.addButton}
            onClick={() => set({ ...g, items: [...g.items, { [g.join === "all" ? "any" : "all"]: [newRule("has_tag")] } as Condition] })}
            data-testid="add-group"
          >
            <Plus size={14} aria-hidden /> Group ({g.join === "all" ? "OR" : "AND"})
          </button>
        )}
      </div>
    </div>
  );
}

function OpSelect({ op, onChange }: { op: Op; onChange: (op: Op) => void }) {
  return (
    <select className={selectClass} aria-label="Comparison" value={op} onChange={(e) => onChange(e.target.value as Op)} data-testid="rule-op">
      {OPS.map((o) => (
        <option key={o.op} value={o.op}>
          {o.title}
        </option>
      ))}
    </select>
  );
}

function Rule({ value, onChange, names }: { value: Condition; onChange: (c: Condition) => void; names: Names }) {
  const kind = conditionKind(value) as RuleKind;
  return (
    <div className={styles.rule}>
      <select
        className={selectClass}
        aria-label="Rule"
        value={kind}
        onChange={(e) => onChange(newRule(e.target.value as RuleKind))}
        data-testid="rule-kind"
      >
        {RULE_KINDS.map((r) => (
          <option key={r.kind} value={r.kind}>
            {r.title}
          </option>
        ))}
      </select>
      <RuleBody value={value} onChange={onChange} names={names} />
    </div>
  );
}

function RuleBody({ value, onChange, names }: { value: Condition; onChange: (c: Condition) => void; names: Names }) {
  if ("has_tag" in value || "lacks_tag" in value) {
    const has = "has_tag" in value;
    const tag = has ? value.has_tag : value.lacks_tag;
    return (
      <ComboField
        label="Tag"
        value={tag}
        suggestions={names.tags}
        onChange={(t) => onChange(has ? { has_tag: t } : { lacks_tag: t })}
        testId="rule-tag"
      />
    );
  }
  if ("field" in value) {
    const f = value.field;
    return (
      <div className={styles.ruleRow}>
        <select
          className={selectClass}
          aria-label="Field"
          value={f.field}
          onChange={(e) => onChange({ field: { ...f, field: e.target.value } })}
          data-testid="rule-field"
        >
          <option value="">Field…</option>
          {!names.fields.some((x) => x.name === f.field) && f.field && <option value={f.field}>{f.field} (not found)</option>}
          {names.fields.map((x) => (
            <option key={x.name} value={x.name}>
              {x.name}
            </option>
          ))}
        </select>
        <OpSelect op={f.op} onChange={(op) => onChange({ field: withValue({ field: f.field, op }, op, valueToText(f.value)) })} />
        {opNeedsValue(f.op) && (
          <input
            className={inputClass}
            aria-label="Value"
            value={valueToText(f.value)}
            onChange={(e) => onChange({ field: withValue({ field: f.field, op: f.op }, f.op, e.target.value) })}
            data-testid="rule-value"
          />
        )}
      </div>
    );
  }
  if ("payload" in value) {
    const p = value.payload;
    return (
      <div className={styles.ruleRow}>
        <input
          className={`${inputClass} ${styles.mono}`}
          aria-label="Payload key"
          placeholder="product"
          value={p.path}
          onChange={(e) => onChange({ payload: { ...p, path: e.target.value } })}
          data-testid="rule-path"
        />
        <OpSelect op={p.op} onChange={(op) => onChange({ payload: withValue({ path: p.path, op }, op, valueToText(p.value)) })} />
        {opNeedsValue(p.op) && (
          <input
            className={inputClass}
            aria-label="Value"
            value={valueToText(p.value)}
            onChange={(e) => onChange({ payload: withValue({ path: p.path, op: p.op }, p.op, e.target.value) })}
            data-testid="rule-value"
          />
        )}
      </div>
    );
  }
  if ("engagement" in value) {
    const e = value.engagement;
    return (
      <>
        <div className={styles.row}>
          <SelectField
            label="The contact"
            value={e.action}
            placeholder="—"
            options={[
              { value: "opened", label: "opened" },
              { value: "clicked", label: "clicked" },
            ]}
            onChange={(a) => a && onChange({ engagement: { ...e, action: a as "opened" | "clicked" } })}
          />
          <DurationField label="Within the last" value={e.within} onChange={(w) => onChange({ engagement: { ...e, within: w } })} />
        </div>
        <SelectField
          label="Email"
          value={e.email ?? ""}
          placeholder="Any email"
          options={names.templates.map((t) => ({ value: t, label: t }))}
          onChange={(m) => {
            onChange({ engagement: withOptional(e, "email", m) });
          }}
        />
      </>
    );
  }
  if ("had_event" in value) {
    const h = value.had_event;
    return (
      <>
        <ComboField
          label="Event type"
          value={h.event_type}
          suggestions={COMMON_EVENTS}
          placeholder="purchase.completed"
          onChange={(t) => onChange({ had_event: { ...h, event_type: t } })}
          testId="rule-event-type"
        />
        <DurationField
          label="Within the last (empty: ever)"
          hint="Leave at 0 for any time."
          value={h.within ?? "0"}
          onChange={(w) => {
            onChange({ had_event: withOptional(h, "within", w === "0" || w === "0s" ? undefined : w) });
          }}
        />
        <FiltersField
          label="Whose payload matches"
          filters={h.filters ?? []}
          onChange={(f) => {
            onChange({ had_event: withOptional(h, "filters", f) });
          }}
        />
      </>
    );
  }
  if ("random_split" in value) {
    return (
      <NumberField
        label="Share of runs that take “yes” (%)"
        value={value.random_split.percent}
        min={0}
        max={100}
        onChange={(p) => onChange({ random_split: { percent: Math.round(p) } })}
        testId="rule-percent"
      />
    );
  }
  if ("time_window" in value) {
    const t = value.time_window;
    return (
      <>
        <div className={styles.row}>
          <TimeField label="From" value={t.from} onChange={(v) => onChange({ time_window: { ...t, from: v } })} />
          <TimeField label="Until" value={t.to} onChange={(v) => onChange({ time_window: { ...t, to: v } })} />
        </div>
        <WeekdaysField
          label="On"
          hint="None selected: any day."
          value={t.weekdays ?? []}
          onChange={(days) => {
            onChange({ time_window: withOptional(t, "weekdays", days) });
          }}
        />
        <ZoneRefField
          label="In"
          value={t.timezone}
          onChange={(z) => {
            onChange({ time_window: withOptional(t, "timezone", z) });
          }}
        />
      </>
    );
  }
  return null;
}

function withValue<T extends { op: Op }>(base: T, op: Op, text: string): T & { value?: unknown } {
  const v = valueFromText(op, text);
  return v === undefined ? base : { ...base, value: v };
}
