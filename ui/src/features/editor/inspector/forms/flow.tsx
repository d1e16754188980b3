// The settings forms of flow control: a yes/no condition, ordered branch
// paths, and the end of a run.

import { ArrowDown, ArrowUp, Plus, Trash2 } from "lucide-react";

import { ConditionBuilder } from "../ConditionBuilder";
import { TextField } from "../fields";
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
