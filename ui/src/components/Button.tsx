import type { ButtonHTMLAttributes } from "react";

import styles from "./Button.module.css";

type Props = ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: "primary" | "secondary";
};

/** The app's button; `type` defaults to "button" so nothing submits by accident. */
export function Button({ variant = "secondary", className, type = "button", ...rest }: Props) {
  return (
    <button
      type={type}
      className={`${styles.button} ${styles[variant]} ${className ?? ""}`}
      {...rest}
    />
  );
}
