import styles from "./Badge.module.css";

export type BadgeTone = "neutral" | "success" | "warning" | "danger" | "accent";

type Props = { tone: BadgeTone; label: string };

/** A short coloured label: a status, a count, "Soon". */
export function Badge({ tone, label }: Props) {
  return <span className={`${styles.badge} ${styles[tone]}`}>{label}</span>;
}
