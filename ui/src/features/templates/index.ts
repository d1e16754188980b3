// The templates gallery: the built-in workflows as cards, a read-only
// preview of each canvas, and "use it" (an ordinary import, then the editor).
export { TemplatesPage } from "./TemplatesPage";
