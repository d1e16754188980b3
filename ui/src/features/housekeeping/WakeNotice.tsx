// The notice after the laptop slept: the executor noticed the clock jump,
// handled what fell due (each wait by its late policy) and said so in a
// `woke` change. Shown over any screen until dismissed.

import { Moon, X } from "lucide-react";
import { useState } from "react";

import { CHANGE_EVENT } from "@/api";
import { wakeNotice } from "@/core/background";
import { useTauriEvent } from "@/hooks";

import styles from "./Housekeeping.module.css";

/** Mount once, at the top of the app. */
export function WakeNotice() {
  const [text, setText] = useState<string | null>(null);
  useTauriEvent(CHANGE_EVENT, (c) => {
    if (c.type === "woke") setText(wakeNotice(c.gap_secs, c.late_waits));
  });
  if (!text) return null;
  return (
    <div className={styles.notice} role="status" data-testid="wake-notice">
      <Moon size={18} aria-hidden className={styles.icon} />
      <p>{text}</p>
      <button type="button" className={styles.close} aria-label="Dismiss" onClick={() => setText(null)}>
        <X size={16} aria-hidden />
      </button>
    </div>
  );
}
