import type { LucideIcon } from "lucide-react";
import type { ReactNode } from "react";

import styles from "./Card.module.css";

type Props = {
  icon: LucideIcon;
  title: string;
  /** One or two sentences under the title: what this card is about. */
  description?: ReactNode;
  children?: ReactNode;
  testId?: string;
};

/** A titled panel of a settings-like screen: an icon, a heading, a short explanation, then its content. */
export function Card({ icon: Icon, title, description, children, testId }: Props) {
  return (
    <section className={styles.card} data-testid={testId}>
      <div className={styles.head}>
        <Icon size={18} aria-hidden className={styles.icon} />
        <div>
          <h2>{title}</h2>
          {description !== undefined && <p>{description}</p>}
        </div>
      </div>
      {children}
    </section>
  );
}

/** Label/value pairs, as a definition list in two columns. */
export function Facts({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <dl className={styles.facts} data-testid={testId}>
      {children}
    </dl>
  );
}
