/** Every keyboard shortcut of the editor (also the source of the sheet's test). */
export const SHORTCUTS: { keys: string[]; what: string }[] = [
  { keys: ["Ctrl", "S"], what: "Save" },
  { keys: ["Ctrl", "Z"], what: "Undo" },
  { keys: ["Ctrl", "Y"], what: "Redo (also Ctrl Shift Z)" },
  { keys: ["Ctrl", "C"], what: "Copy the selected nodes" },
  { keys: ["Ctrl", "X"], what: "Cut the selected nodes" },
  { keys: ["Ctrl", "V"], what: "Paste (also into another workflow)" },
  { keys: ["Ctrl", "D"], what: "Duplicate the selected nodes" },
  { keys: ["Ctrl", "A"], what: "Select every node" },
  { keys: ["Delete"], what: "Delete the selection (also Backspace)" },
  { keys: ["Shift", "L"], what: "Auto-layout" },
  { keys: ["Shift", "F"], what: "Fit the workflow in view" },
  { keys: ["Esc"], what: "Clear the selection" },
  { keys: ["?"], what: "This sheet" },
];
