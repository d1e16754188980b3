// Shared presentational pieces. They know nothing of Tauri or of any one
// screen; features compose them.
export { Badge, type BadgeTone } from "./Badge";
export { Button } from "./Button";
export { Card, Facts } from "./Card";
export { EmptyState } from "./EmptyState";
export { ErrorPanel } from "./ErrorPanel";
export { PageHeader } from "./PageHeader";
export { Dialog } from "./Dialog";
export { Field } from "./Field";
export { inputClass, selectClass } from "./inputClasses";
export { SearchBox } from "./SearchBox";
