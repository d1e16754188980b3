// The right-hand panel: the selected node's settings, or the workflow's
// own settings when nothing (or more than one node) is selected.

import { CircleAlert, Settings2, Trash2, TriangleAlert } from "lucide-react";

import type { Node, WorkflowDef } from "@/api";
import type { NodeIssues } from "@/core/editor/issues";
import { KIND_INFO } from "@/core/editor/kinds";
import type { Names } from "@/core/editor/names";
import { withOptional } from "@/core/editor/objects";

import { KIND_ICONS } from "../icons";
import { TextField } from "./fields";
import styles from "./Inspector.module.css";
import { NodeForm } from "./NodeForm";
import { WorkflowSettings } from "./WorkflowSettings";

type Props = {
  def: WorkflowDef;
  /** The one selected node, if exactly one is selected. */
  node: Node | null;
  /** How many nodes are selected. */
  selectedCount: number;
  issues: NodeIssues | null;
  names: Names;
  onNode: (next: Node, key?: string) => void;
  onDef: (next: WorkflowDef, key?: string) => void;
  onDelete: () => void;
};

export function Inspector({ def, node, selectedCount, issues, names, onNode, onDef, onDelete }: Props) {
  if (!node) {
    return (
      <aside className={styles.panel} aria-label="Workflow settings" data-testid="inspector">
        <header className={styles.head}>
          <span className={`${styles.kindIcon} ${styles.workflowIcon}`} aria-hidden>
            <Settings2 size={16} />
          </span>
          <div>
            <h2>Workflow settings</h2>
            <p className={styles.blurb}>
              {selectedCount > 1
                ? `${selectedCount} nodes selected: copy, delete or move them together.`
                : "Select a node on the canvas to edit its settings."}
            </p>
          </div>
        </header>
        <div className={styles.scroll}>
          <WorkflowSettings def={def} names={names} onDef={onDef} />
        </div>
      </aside>
    );
  }
  const info = KIND_INFO[node.kind];
  const Icon = KIND_ICONS[info.icon];
  return (
    <aside className={styles.panel} aria-label="Node settings" data-testid="inspector" data-node-id={node.id}>
      <header className={`${styles.head} ${styles[info.family]}`}>
        <span className={styles.kindIcon} aria-hidden>
          <Icon size={16} />
        </span>
        <div className={styles.headText}>
          <h2 data-testid="inspector-title">{info.title}</h2>
          <p className={styles.blurb}>
            {info.blurb} · <code title="The node's id in files and the run log">{node.id}</code>
          </p>
        </div>
        <button type="button" className={styles.iconButton} onClick={onDelete} aria-label="Delete this node" title="Delete (Del)" data-testid="inspector-delete">
          <Trash2 size={16} aria-hidden />
        </button>
      </header>
      <div className={styles.scroll}>
        {issues && (
          <ul className={styles.issues} data-testid="inspector-issues">
            {[...issues.errors, ...issues.warnings].map((i, n) => (
              <li key={n} className={i.severity === "error" ? styles.issueError : styles.issueWarning}>
                {i.severity === "error" ? <CircleAlert size={14} aria-hidden /> : <TriangleAlert size={14} aria-hidden />}
                <span>{i.message}</span>
              </li>
            ))}
          </ul>
        )}
        {/* Keyed by node: another node's form starts from fresh inputs. */}
        <div className={styles.form} key={node.id}>
          <TextField
            label="Label (optional)"
            hint="Shown on the canvas instead of the summary."
            value={node.label ?? ""}
            onChange={(label) => {
              onNode(withOptional(node, "label", label), `${node.id}.label`);
            }}
            testId="config-label"
          />
          <NodeForm node={node} def={def} names={names} onNode={onNode} onDef={onDef} />
        </div>
      </div>
    </aside>
  );
}
