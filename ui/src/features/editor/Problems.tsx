// The problems list under the canvas: every validation issue, errors
// first; clicking one selects its node and brings it into view.

import { ChevronDown, ChevronUp, CircleAlert, CircleCheck, LoaderCircle, TriangleAlert } from "lucide-react";

import type { Problem } from "@/core/editor/issues";

import styles from "./Editor.module.css";

type Props = {
  problems: Problem[];
  errors: number;
  warnings: number;
  checking: boolean;
  /** The validation itself failed (the database could not be read). */
  failure: string | null;
  open: boolean;
  onToggle: () => void;
  onJump: (node: string) => void;
};

export function Problems({ problems, errors, warnings, checking, failure, open, onToggle, onJump }: Props) {
  return (
    <section className={`${styles.problems} ${open ? styles.problemsOpen : ""}`} aria-label="Problems" data-testid="problems">
      <button type="button" className={styles.problemsHead} onClick={onToggle} aria-expanded={open} data-testid="problems-toggle">
        <span className={styles.problemsTitle}>Problems</span>
        {errors > 0 && (
          <span className={`${styles.count} ${styles.countError}`} data-testid="problems-errors">
            <CircleAlert size={12} aria-hidden /> {errors} error{errors === 1 ? "" : "s"}
          </span>
        )}
        {warnings > 0 && (
          <span className={`${styles.count} ${styles.countWarning}`} data-testid="problems-warnings">
            <TriangleAlert size={12} aria-hidden /> {warnings} warning{warnings === 1 ? "" : "s"}
          </span>
        )}
        {errors === 0 && warnings === 0 && !checking && !failure && (
          <span className={`${styles.count} ${styles.countOk}`}>
            <CircleCheck size={12} aria-hidden /> Ready to activate
          </span>
        )}
        {checking && (
          <span className={styles.checking} data-testid="problems-checking">
            <LoaderCircle size={12} aria-hidden className={styles.spin} /> Checking…
          </span>
        )}
        <span className={styles.grow} />
        {open ? <ChevronDown size={16} aria-hidden /> : <ChevronUp size={16} aria-hidden />}
      </button>
      {open && (
        <ul className={styles.problemList}>
          {failure && <li className={styles.problemError}>The workflow could not be checked: {failure}</li>}
          {problems.length === 0 && !failure && !checking && (
            <li className={styles.problemNone}>No problems found: every node is set up and connected.</li>
          )}
          {problems.map((p) => (
            <li key={p.key}>
              <button
                type="button"
                className={`${styles.problem} ${p.severity === "error" ? styles.problemError : styles.problemWarning}`}
                onClick={() => p.node && onJump(p.node)}
                disabled={!p.node}
                data-testid="problem-row"
                data-node={p.node ?? ""}
                data-code={p.code}
              >
                {p.severity === "error" ? <CircleAlert size={14} aria-hidden /> : <TriangleAlert size={14} aria-hidden />}
                <span className={styles.problemWhere}>{p.where}</span>
                <span className={styles.problemMessage}>{p.message}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
