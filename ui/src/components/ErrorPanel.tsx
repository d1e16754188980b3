import { RefreshCw, TriangleAlert } from "lucide-react";

import { Button } from "./Button";
import styles from "./ErrorPanel.module.css";

type Props = {
  title: string;
  /** The error as the backend sent it: a stable code and a sentence. */
  error: { code: string; message: string };
  onRetry?: () => void;
};

/** Says what went wrong, in the backend's words, and offers to try again. */
export function ErrorPanel({ title, error, onRetry }: Props) {
  return (
    <section className={styles.panel} role="alert" data-testid="error-panel" data-code={error.code}>
      <TriangleAlert className={styles.icon} size={22} aria-hidden />
      <div className={styles.body}>
        <h2>{title}</h2>
        <p className={styles.message}>{error.message}</p>
        <p className={styles.code}>
          Error code: <code>{error.code}</code>
        </p>
      </div>
      {onRetry && (
        <Button onClick={onRetry}>
          <RefreshCw size={16} aria-hidden /> Try again
        </Button>
      )}
    </section>
  );
}
