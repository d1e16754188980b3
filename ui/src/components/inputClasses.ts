import styles from "./Field.module.css";

/** The class names of the app's text inputs and selects. */
export const inputClass = styles.input;
export const selectClass = `${styles.input} ${styles.select}`;
