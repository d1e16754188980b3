import type { ReactNode } from "react";

import styles from "./Field.module.css";

type Props = {
  label: string;
  /** The id of the input inside, so the label points at it. */
  htmlFor: string;
  hint?: string;
  /** A problem to fix, shown instead of the hint. */
  error?: string;
  children: ReactNode;
};

/** A labelled form input with its hint or its problem underneath. */
export function Field({ label, htmlFor, hint, error, children }: Props) {
  return (
    <div className={styles.field}>
      <label htmlFor={htmlFor} className={styles.label}>
        {label}
      </label>
      {children}
      {error ? (
        <p className={styles.error} role="alert" data-testid={`error-${htmlFor}`}>
          {error}
        </p>
      ) : (
        hint && <p className={styles.hint}>{hint}</p>
      )}
    </div>
  );
}
