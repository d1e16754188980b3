import { Handle, type Node, type NodeProps, Position } from "@xyflow/react";
import { Check, CircleAlert, Hourglass, TriangleAlert, X } from "lucide-react";
import { memo } from "react";

import type { StepData } from "@/core/editor/graph";
import { INPUT_HANDLE } from "@/core/editor/graph";
import { exitLabel, exitTone } from "@/core/editor/exits";
import { KIND_INFO, isTrigger } from "@/core/editor/kinds";
import { summarize } from "@/core/editor/summary";

import { KIND_ICONS } from "./icons";
import styles from "./StepNode.module.css";

/** A workflow node on the canvas. */
export type StepFlowNode = Node<StepData, "step">;

function issueText(data: StepData): string {
  const i = data.issues;
  if (!i) return "";
  return [...i.errors, ...i.warnings].map((x) => `${x.severity === "error" ? "Error" : "Warning"}: ${x.message}`).join("\n");
}

/** The words of a test run's step status on its node. */
const TRACE_LABEL = { ok: "Done", waiting: "Waiting", pending: "Queued", failed: "Failed", skipped: "Skipped" } as const;

/**
 * A card with the kind's icon and title, the node's label or a one-line
 * summary of its settings, an input on top (not for triggers), one output
 * per exit at the bottom (labelled when there are several), a badge when
 * validation found problems here, the test run's step status (the card
 * lights up) and, when shown, the live runs' counts.
 */
function StepNodeView({ data, selected }: NodeProps<StepFlowNode>) {
  const { node, exits, issues, trace, counts } = data;
  const info = KIND_INFO[node.kind];
  const Icon = KIND_ICONS[info.icon];
  const count = issues ? issues.errors.length + issues.warnings.length : 0;
  const summary = summarize(node);
  const labelled = exits.some((x) => exitLabel(node, x) !== "");
  return (
    <div
      className={[
        styles.node,
        styles[info.family],
        selected ? styles.selected : "",
        trace ? styles[`trace_${trace.status}`] : "",
        trace?.current ? styles.traceCurrent : "",
        issues?.severity === "error" ? styles.hasError : issues ? styles.hasWarning : "",
      ].join(" ")}
      data-testid="canvas-node"
      data-node-id={node.id}
      data-kind={node.kind}
      data-severity={issues?.severity ?? "none"}
      data-trace={trace?.status ?? "none"}
    >
      {!isTrigger(node.kind) && (
        <Handle type="target" position={Position.Top} id={INPUT_HANDLE} className={styles.input} />
      )}
      <div className={styles.header}>
        <span className={styles.icon} aria-hidden>
          <Icon size={15} strokeWidth={2} />
        </span>
        <span className={styles.kind}>{info.title}</span>
        {trace && (
          <span className={styles.traceChip} data-testid="node-trace">
            {TRACE_LABEL[trace.status]}
          </span>
        )}
        {issues && (
          <span
            className={`${styles.badge} ${issues.severity === "error" ? styles.badgeError : styles.badgeWarning}`}
            title={issueText(data)}
            data-testid="node-issue-badge"
          >
            {issues.severity === "error" ? <CircleAlert size={12} aria-hidden /> : <TriangleAlert size={12} aria-hidden />}
            {count}
          </span>
        )}
      </div>
      <div className={`${styles.body} ${labelled ? styles.roomForExits : ""}`}>
        {node.label?.trim() ? (
          <>
            <div className={styles.label}>{node.label}</div>
            <div className={styles.summary}>{summary}</div>
          </>
        ) : (
          <div className={styles.summaryOnly}>{summary}</div>
        )}
        {issues && (
          <div
            className={issues.severity === "error" ? styles.issueLine : styles.warningLine}
            data-testid="node-issue"
          >
            {(issues.errors[0] ?? issues.warnings[0])!.message}
          </div>
        )}
        {counts && (
          <div
            className={styles.counts}
            data-testid="node-counts"
            data-passed={counts.passed}
            data-waiting={counts.waiting}
            data-failed={counts.failed}
            title={`Live runs: ${counts.passed} passed, ${counts.waiting} waiting here, ${counts.failed} failed`}
          >
            <span className={`${styles.count} ${styles.countPassed}`} aria-label={`${counts.passed} passed`}>
              <Check size={11} aria-hidden />
              {counts.passed}
            </span>
            <span className={`${styles.count} ${styles.countWaiting}`} aria-label={`${counts.waiting} waiting`}>
              <Hourglass size={11} aria-hidden />
              {counts.waiting}
            </span>
            <span className={`${styles.count} ${counts.failed > 0 ? styles.countHot : ""}`} aria-label={`${counts.failed} failed`}>
              <X size={11} aria-hidden />
              {counts.failed}
            </span>
          </div>
        )}
      </div>
      {exits.length > 0 && (
        <div className={styles.exits}>
          {exits.map((exit, i) => {
            const left = `${((i + 1) / (exits.length + 1)) * 100}%`;
            const label = exitLabel(node, exit);
            return (
              <div key={exit} className={styles.exit} style={{ left }}>
                {label && (
                  <span className={`${styles.exitLabel} ${styles[exitTone(exit)]}`} data-testid="node-exit">
                    {label}
                  </span>
                )}
                <Handle
                  type="source"
                  position={Position.Bottom}
                  id={exit}
                  className={styles.output}
                  style={{ left: "50%" }}
                  data-testid={`exit-${exit}`}
                />
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}

export const StepNode = memo(StepNodeView);
