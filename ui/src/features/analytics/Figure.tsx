import type { ReactNode } from "react";

import styles from "./Analytics.module.css";

type Props = {
  label: string;
  value: ReactNode;
  /** How the value was reached, in the figures' own terms. */
  detail: ReactNode;
  /** The figure's definition, on hover. */
  hint: string;
  testId: string;
};

/** One headline number with what it is made of. */
export function Figure({ label, value, detail, hint, testId }: Props) {
  return (
    <section className={styles.figure} title={hint} data-testid={testId}>
      <h3 className={styles.figureLabel}>{label}</h3>
      <p className={styles.figureValue} data-testid={`${testId}-value`}>
        {value}
      </p>
      <p className={styles.figureDetail}>{detail}</p>
    </section>
  );
}
