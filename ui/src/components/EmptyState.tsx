import type { LucideIcon } from "lucide-react";
import type { ReactNode } from "react";

import styles from "./EmptyState.module.css";

type Props = {
  icon: LucideIcon;
  title: string;
  /** What this place is for and what to do next. */
  children: ReactNode;
  testId?: string;
};

/** A calm panel for a place with nothing in it yet. */
export function EmptyState({ icon: Icon, title, children, testId }: Props) {
  return (
    <section className={styles.empty} data-testid={testId}>
      <div className={styles.icon} aria-hidden>
        <Icon size={28} strokeWidth={1.75} />
      </div>
      <h2>{title}</h2>
      <div className={styles.body}>{children}</div>
    </section>
  );
}
