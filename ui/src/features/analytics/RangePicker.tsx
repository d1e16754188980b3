import { RANGES, type RangeDays } from "./figures";
import styles from "./Analytics.module.css";

type Props = { value: RangeDays; onChange: (days: RangeDays) => void };

/** 7 / 30 / 90 days / all time, as one segmented control. */
export function RangePicker({ value, onChange }: Props) {
  return (
    <div className={styles.range} role="radiogroup" aria-label="Time range" data-testid="range-picker">
      {RANGES.map((r) => (
        <button
          key={r.label}
          type="button"
          role="radio"
          aria-checked={value === r.days}
          className={value === r.days ? styles.rangeOn : undefined}
          onClick={() => onChange(r.days)}
          data-testid={`range-${r.days ?? "all"}`}
        >
          {r.label}
        </button>
      ))}
    </div>
  );
}
