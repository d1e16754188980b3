import {
  ArrowLeft,
  ChartColumn,
  ClipboardPaste,
  Copy,
  Download,
  FlaskConical,
  Keyboard,
  LayoutGrid,
  LoaderCircle,
  Maximize,
  Pause,
  Play,
  Redo2,
  Save,
  Trash2,
  Undo2,
} from "lucide-react";
import type { ReactNode } from "react";
import { Link } from "react-router";

import { Badge, Button } from "@/components";
import type { WorkflowStatus } from "@/api";

import styles from "./Editor.module.css";

export type StatusLine = { tone: "ok" | "error" | "info"; text: string } | null;

const STATUS: Record<WorkflowStatus, { label: string; tone: "success" | "warning" | "neutral" }> = {
  active: { label: "Active", tone: "success" },
  paused: { label: "Paused", tone: "warning" },
  draft: { label: "Draft", tone: "neutral" },
};

function Tool({
  label,
  keys,
  onClick,
  disabled,
  pressed,
  testId,
  children,
}: {
  label: string;
  keys?: string;
  onClick: () => void;
  disabled?: boolean;
  /** For a toggle: whether it is on. */
  pressed?: boolean;
  testId: string;
  children: ReactNode;
}) {
  return (
    <button
      type="button"
      className={`${styles.tool} ${pressed ? styles.toolOn : ""}`}
      onClick={onClick}
      disabled={disabled}
      aria-pressed={pressed}
      aria-label={label}
      title={keys ? `${label} (${keys})` : label}
      data-testid={testId}
    >
      {children}
    </button>
  );
}

type Props = {
  name: string;
  status: WorkflowStatus;
  version: number;
  dirty: boolean;
  saving: boolean;
  statusLine: StatusLine;
  canUndo: boolean;
  canRedo: boolean;
  hasSelection: boolean;
  canPaste: boolean;
  /** The test run panel is open. */
  testing: boolean;
  /** The live runs' counts are shown on the nodes. */
  showCounts: boolean;
  onUndo: () => void;
  onRedo: () => void;
  onCopy: () => void;
  onPaste: () => void;
  onDelete: () => void;
  onLayout: () => void;
  onFit: () => void;
  onShortcuts: () => void;
  onExport: () => void;
  onSave: () => void;
  onActivate: () => void;
  onPause: () => void;
  onTest: () => void;
  onCounts: () => void;
};

export function Toolbar(p: Props) {
  const s = STATUS[p.status];
  return (
    <header className={styles.toolbar}>
      <Link to="/workflows" className={styles.back} aria-label="Back to workflows" title="Back to workflows" data-testid="editor-back">
        <ArrowLeft size={18} aria-hidden />
      </Link>
      <div className={styles.titleBlock}>
        <div className={styles.titleRow}>
          <h1 className={styles.title} data-testid="editor-name">
            {p.name || "Untitled workflow"}
          </h1>
          <span data-testid="editor-status">
            <Badge tone={s.tone} label={s.label} />
          </span>
          <span className={styles.version}>v{p.version}</span>
        </div>
        <div className={styles.saveState} data-testid="save-state" data-dirty={p.dirty}>
          {p.saving ? (
            <>
              <LoaderCircle size={12} aria-hidden className={styles.spin} /> Saving…
            </>
          ) : p.statusLine ? (
            <span className={styles[`line_${p.statusLine.tone}`]} data-testid="save-status">
              {p.statusLine.text}
            </span>
          ) : p.dirty ? (
            <span className={styles.line_info}>Unsaved changes</span>
          ) : (
            <span>All changes saved</span>
          )}
        </div>
      </div>
      <div className={styles.tools}>
        <Tool label="Undo" keys="Ctrl Z" onClick={p.onUndo} disabled={!p.canUndo} testId="tool-undo">
          <Undo2 size={17} aria-hidden />
        </Tool>
        <Tool label="Redo" keys="Ctrl Y" onClick={p.onRedo} disabled={!p.canRedo} testId="tool-redo">
          <Redo2 size={17} aria-hidden />
        </Tool>
        <span className={styles.sep} />
        <Tool label="Copy" keys="Ctrl C" onClick={p.onCopy} disabled={!p.hasSelection} testId="tool-copy">
          <Copy size={17} aria-hidden />
        </Tool>
        <Tool label="Paste" keys="Ctrl V" onClick={p.onPaste} disabled={!p.canPaste} testId="tool-paste">
          <ClipboardPaste size={17} aria-hidden />
        </Tool>
        <Tool label="Delete" keys="Del" onClick={p.onDelete} disabled={!p.hasSelection} testId="tool-delete">
          <Trash2 size={17} aria-hidden />
        </Tool>
        <span className={styles.sep} />
        <Tool label="Auto-layout" keys="Shift L" onClick={p.onLayout} testId="tool-layout">
          <LayoutGrid size={17} aria-hidden />
        </Tool>
        <Tool label="Fit in view" keys="Shift F" onClick={p.onFit} testId="tool-fit">
          <Maximize size={17} aria-hidden />
        </Tool>
        <Tool label="Keyboard shortcuts" keys="?" onClick={p.onShortcuts} testId="tool-shortcuts">
          <Keyboard size={17} aria-hidden />
        </Tool>
        <span className={styles.sep} />
        <Tool label="Show run counts" onClick={p.onCounts} pressed={p.showCounts} testId="tool-counts">
          <ChartColumn size={17} aria-hidden />
        </Tool>
        <Tool label="Export to a file" onClick={p.onExport} testId="tool-export">
          <Download size={17} aria-hidden />
        </Tool>
      </div>
      <div className={styles.actions}>
        <Button onClick={p.onTest} aria-pressed={p.testing} className={p.testing ? styles.testOn : ""} data-testid="editor-test">
          <FlaskConical size={16} aria-hidden /> Test
        </Button>
        <Button onClick={p.onSave} disabled={p.saving} data-testid="editor-save" title="Save (Ctrl S)">
          <Save size={16} aria-hidden /> Save
        </Button>
        {p.status === "active" ? (
          <Button onClick={p.onPause} disabled={p.saving} data-testid="editor-pause">
            <Pause size={16} aria-hidden /> Pause
          </Button>
        ) : (
          <Button variant="primary" onClick={p.onActivate} disabled={p.saving} data-testid="editor-activate">
            <Play size={16} aria-hidden /> Activate
          </Button>
        )}
      </div>
    </header>
  );
}
