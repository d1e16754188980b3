import { Dialog } from "@/components";

import styles from "./Editor.module.css";
import { SHEET } from "./shortcuts";

export function ShortcutSheet({ onClose }: { onClose: () => void }) {
  return (
    <Dialog title="Keyboard shortcuts" description="They work while the canvas has focus, not while you type in a field (but Ctrl S does)." onClose={onClose} testId="shortcut-sheet">
      <table className={styles.shortcuts}>
        <tbody>
          {SHEET.map((s) => (
            <tr key={s.what}>
              <td>
                {s.keys.map((k) => (
                  <kbd key={k}>{k}</kbd>
                ))}
              </td>
              <td>{s.what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className={styles.sheetNote}>Mouse: drag a node to move it; drag from an exit dot to another node to connect; Shift-click or drag a box to select several; scroll to zoom.</p>
    </Dialog>
  );
}
