import { Search } from "lucide-react";

import { inputClass } from "./inputClasses";
import styles from "./SearchBox.module.css";

type Props = {
  /** What it searches, as placeholder and accessible name ("Search email or name"). */
  label: string;
  value: string;
  onChange: (value: string) => void;
  testId?: string;
};

/** A toolbar's search field: a magnifier, the text, and a clear button (type="search"). */
export function SearchBox({ label, value, onChange, testId }: Props) {
  return (
    <div className={styles.search}>
      <Search size={16} aria-hidden className={styles.icon} />
      <input
        className={inputClass}
        type="search"
        placeholder={label}
        aria-label={label}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        data-testid={testId}
      />
    </div>
  );
}
