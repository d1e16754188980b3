import { X } from "lucide-react";
import { type ReactNode, useEffect, useRef } from "react";

import styles from "./Dialog.module.css";

type Props = {
  title: string;
  /** One sentence under the title. */
  description?: string;
  onClose: () => void;
  children: ReactNode;
  /** Buttons at the bottom right. */
  footer?: ReactNode;
  wide?: boolean;
  testId?: string;
};

/**
 * A modal panel over the screen (the native <dialog>, so focus stays inside
 * and Escape closes it).
 */
export function Dialog({ title, description, onClose, children, footer, wide, testId }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) {
      if (typeof d.showModal === "function") d.showModal();
      else d.setAttribute("open", "");
      // Start in the first field rather than on the close button.
      d.querySelector<HTMLElement>("input:not([readonly]):not([type=hidden]), select, textarea")?.focus();
    }
  }, []);
  return (
    <dialog
      ref={ref}
      className={`${styles.dialog} ${wide ? styles.wide : ""}`}
      aria-labelledby="dialog-title"
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <header className={styles.header}>
        <div>
          <h2 id="dialog-title">{title}</h2>
          {description && <p className={styles.description}>{description}</p>}
        </div>
        <button type="button" className={styles.close} onClick={onClose} aria-label="Close">
          <X size={18} aria-hidden />
        </button>
      </header>
      <div className={styles.body}>{children}</div>
      {footer && <footer className={styles.footer}>{footer}</footer>}
    </dialog>
  );
}
