import { RotateCcw, SkipBack } from "lucide-react";

import type { RetryFrom } from "@/api";
import { Button } from "@/components";

import styles from "./Runs.module.css";

type Props = {
  onRetry: (from: RetryFrom) => void;
  busy: boolean;
  /** "Retry all" rather than "Retry" (the failures list). */
  all?: boolean;
  /** What the last retry did, under the buttons. */
  status?: string | null;
};

/** "Retry" (from the failed step, on the version it ran) and "Restart from start" (on the current version). */
export function RetryButtons({ onRetry, busy, all, status }: Props) {
  return (
    <div className={styles.actions}>
      <Button
        variant="primary"
        onClick={() => onRetry("failed_step")}
        disabled={busy}
        title="Go on from the step that failed, on the version the run started on. Steps that completed are not done again; a failed send goes again with the same Message-ID."
        data-testid="retry-failed-step"
      >
        <RotateCcw size={15} aria-hidden /> {all ? "Retry all" : "Retry"}
      </Button>
      <Button
        onClick={() => onRetry("start")}
        disabled={busy}
        title="Start a new run from the trigger, on the workflow's current version."
        data-testid="retry-from-start"
      >
        <SkipBack size={15} aria-hidden /> {all ? "Restart all from start" : "Restart from start"}
      </Button>
      {status && (
        <span className={styles.muted} role="status" data-testid="retry-status">
          {status}
        </span>
      )}
    </div>
  );
}
