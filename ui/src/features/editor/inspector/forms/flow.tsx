// The settings forms of flow control: a yes/no condition, ordered branch
// paths, an A/B split's weighted variants, and the end of a run.

import { ArrowDown, ArrowUp, Plus, Trash2 } from "lucide-react";

import { ConditionBuilder } from "../ConditionBuilder";
import { NumberField, SelectField, TextField } from "../fields";
import styles from "../Inspector.module.css";
import { type FormProps, setters } from "./config";

export function ConditionForm({ node, names, onNode }: FormProps<"condition">) {
  const { set } = setters(node, onNode);
  return (
    <div className={styles.group}>
      <span className={styles.groupLabel}>Runs take “Yes” when</span>
      <ConditionBuilder value={node.config.condition} onChange={(c) => set("condition", c, true)} names={names} />
    </div>
  );
}

export function BranchForm({ node, names, onNode }: FormProps<"branch">) {
  const { config } = setters(node, onNode);
  const paths = node.config.paths;
  const setPaths = (p: typeof paths, key?: string) => config({ paths: p }, key);
  return (
    <>
      <p className={styles.note}>Paths are tried in order; the first whose condition holds wins. Runs that match none go “Otherwise”.</p>
      {paths.map((p, i) => (
        <div key={i} className={styles.path} data-testid="branch-path">
          <div className={styles.pathHead}>
            <TextField
              label={`Path ${i + 1} name`}
              value={p.name}
              onChange={(name) => setPaths(paths.map((x, j) => (j === i ? { ...x, name } : x)), `path${i}`)}
              testId="path-name"
            />
            <div className={styles.pathButtons}>
              <button type="button" className={styles.iconButton} disabled={i === 0} aria-label="Move up" onClick={() => setPaths(swap(paths, i, i - 1))}>
                <ArrowUp size={15} aria-hidden />
              </button>
              <button type="button" className={styles.iconButton} disabled={i === paths.length - 1} aria-label="Move down" onClick={() => setPaths(swap(paths, i, i + 1))}>
                <ArrowDown size={15} aria-hidden />
              </button>
              <button type="button" className={styles.iconButton} aria-label="Remove path" onClick={() => setPaths(paths.filter((_, j) => j !== i))}>
                <Trash2 size={15} aria-hidden />
              </button>
            </div>
          </div>
          <ConditionBuilder
            value={p.condition}
            onChange={(condition) => setPaths(paths.map((x, j) => (j === i ? { ...x, condition } : x)), `path${i}c`)}
            names={names}
          />
        </div>
      ))}
      <button
        type="button"
        className={styles.addButton}
        onClick={() => setPaths([...paths, { name: freePathName(paths.map((x) => x.name)), condition: { all: [{ has_tag: "" }] } }])}
        data-testid="add-path"
      >
        <Plus size={14} aria-hidden /> Add path
      </button>
    </>
  );
}

/** The largest weight the model accepts (`MAX_SPLIT_WEIGHT`). */
const MAX_WEIGHT = 10_000;

export function SplitForm({ node, onNode }: FormProps<"split">) {
  const { config } = setters(node, onNode);
  const { variants, winner } = node.config;
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  const setVariants = (v: typeof variants, key?: string) => {
    // A winner whose variant is gone or renamed is no longer one.
    const keep = winner !== undefined && v.some((x) => x.name === winner);
    config(keep ? { variants: v, winner } : { variants: v }, key);
  };
  return (
    <>
      <p className={styles.note}>
        Each run takes one variant, by weight, and always the same one. The first variant is the control the analytics compare the others with.
      </p>
      {variants.map((v, i) => (
        <div key={i} className={styles.path} data-testid="split-variant">
          <div className={styles.pathHead}>
            <TextField
              label={`Variant ${i + 1} name`}
              value={v.name}
              onChange={(name) => setVariants(variants.map((x, j) => (j === i ? { ...x, name } : x)), `variant${i}`)}
              testId="variant-name"
            />
            <div className={styles.pathButtons}>
              <button
                type="button"
                className={styles.iconButton}
                aria-label="Remove variant"
                disabled={variants.length <= 2}
                title={variants.length <= 2 ? "A split needs at least two variants" : undefined}
                onClick={() => setVariants(variants.filter((_, j) => j !== i))}
              >
                <Trash2 size={15} aria-hidden />
              </button>
            </div>
          </div>
          <NumberField
            label="Weight"
            hint={total > 0 ? `${Math.round((v.weight / total) * 100)} % of the runs` : undefined}
            value={v.weight}
            min={1}
            max={MAX_WEIGHT}
            step={1}
            onChange={(w) => {
              if (Number.isInteger(w)) setVariants(variants.map((x, j) => (j === i ? { ...x, weight: w } : x)), `weight${i}`);
            }}
            testId="variant-weight"
          />
        </div>
      ))}
      <button
        type="button"
        className={styles.addButton}
        onClick={() => setVariants([...variants, { name: freeVariantName(variants.map((x) => x.name)), weight: 1 }])}
        data-testid="add-variant"
      >
        <Plus size={14} aria-hidden /> Add variant
      </button>
      <SelectField
        label="Winner"
        hint="Declared from the analytics view; every run takes it."
        placeholder="None: split by weight"
        value={winner ?? ""}
        options={variants.filter((v) => v.name !== "").map((v) => ({ value: v.name, label: v.name }))}
        onChange={(w) => config(w === "" ? { variants } : { variants, winner: w })}
        testId="split-winner"
      />
    </>
  );
}

export function EndForm() {
  return <p className={styles.note}>The run is complete here; it counts towards the completion rate.</p>;
}

function swap<T>(list: T[], i: number, j: number): T[] {
  const out = [...list];
  [out[i], out[j]] = [out[j]!, out[i]!];
  return out;
}

function freePathName(taken: string[]): string {
  for (let n = taken.length + 1; ; n++) if (!taken.includes(`Path ${n}`)) return `Path ${n}`;
}

/** "B", "C", … after the letters taken; then "Variant N". */
function freeVariantName(taken: string[]): string {
  for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZ") if (!taken.includes(c)) return c;
  for (let n = taken.length + 1; ; n++) if (!taken.includes(`Variant ${n}`)) return `Variant ${n}`;
}
