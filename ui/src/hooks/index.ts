// React hooks more than one feature shares (over api/, never Tauri directly).
export { useSettled } from "./useSettled";
export { useTauriEvent } from "./useTauriEvent";
