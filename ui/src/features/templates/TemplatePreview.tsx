// A template's canvas, read-only: the editor's own node cards over the
// editor's model → graph conversion, so the preview is exactly what the
// editor will show after "Use template".

import "@xyflow/react/dist/style.css";

import { useQuery } from "@tanstack/react-query";
import {
  Background,
  BackgroundVariant,
  Controls,
  MarkerType,
  ReactFlow,
  ReactFlowProvider,
  type ReactFlowInstance,
} from "@xyflow/react";
import { Workflow } from "lucide-react";
import { useMemo, useRef } from "react";

import { Button, Dialog, ErrorPanel } from "@/components";
import { type ApiError, type TemplateInfo, type WorkflowDef, queryKeys, templatesApi } from "@/api";
import { type GraphEdge, type GraphNode, toGraph } from "@/core/editor/graph";
import { NODE_SIZE } from "@/core/editor/layout";
import { StepNode } from "@/features/editor";

import { plural } from "./needs";
import styles from "./Templates.module.css";

/** Node types at module scope, so React Flow never sees a new object. */
const nodeTypes = { step: StepNode };
const defaultEdgeOptions = {
  type: "smoothstep",
  markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 },
};

type Props = {
  template: TemplateInfo;
  busy: boolean;
  onUse: () => void;
  onClose: () => void;
};

/** The preview dialog: the canvas, what it is, and "Use template". */
export default function TemplatePreview({ template, busy, onUse, onClose }: Props) {
  const def = useQuery<WorkflowDef, ApiError>({
    queryKey: queryKeys.template(template.slug),
    queryFn: () => templatesApi.workflow(template.slug),
    staleTime: Infinity,
  });
  return (
    <Dialog
      title={template.name}
      description={`${plural(template.nodes, "node")} · ${plural(template.emails, "email")} · starts on ${template.triggers.join("; ")}`}
      onClose={onClose}
      wide
      testId="template-preview-dialog"
      footer={
        <>
          <Button onClick={onClose}>Close</Button>
          <Button variant="primary" onClick={onUse} disabled={busy} data-testid="template-preview-use">
            <Workflow size={16} aria-hidden /> {busy ? "Adding…" : "Use template"}
          </Button>
        </>
      }
    >
      <p className={styles.previewText}>{template.description}</p>
      {def.error ? (
        <ErrorPanel title="This template could not be read" error={def.error} />
      ) : def.data ? (
        <ReactFlowProvider>
          <PreviewCanvas def={def.data} />
        </ReactFlowProvider>
      ) : (
        <div className={styles.previewCanvas} aria-busy />
      )}
    </Dialog>
  );
}

/** Below this zoom node text cannot be read: a long workflow opens here, at its start. */
const READABLE_ZOOM = 0.6;
const PAD = 24;

/**
 * The whole workflow when it fits at a readable zoom; otherwise its start
 * (the triggers, at the left and top of every template) at that zoom, to
 * pan from — as the editor opens a tall workflow.
 */
function frame(flow: ReactFlowInstance<GraphNode, GraphEdge>, nodes: GraphNode[], box: HTMLElement | null) {
  if (!box || nodes.length === 0) return;
  const xs = nodes.map((n) => n.position.x);
  const ys = nodes.map((n) => n.position.y);
  const minX = Math.min(...xs);
  const minY = Math.min(...ys);
  const width = Math.max(...xs) + NODE_SIZE.width - minX;
  const height = Math.max(...ys) + NODE_SIZE.height - minY;
  const fit = Math.min((box.clientWidth - 2 * PAD) / width, (box.clientHeight - 2 * PAD) / height, 1);
  if (fit >= READABLE_ZOOM) {
    void flow.fitView({ padding: 0.08, maxZoom: 1 });
    return;
  }
  const zoom = READABLE_ZOOM;
  const y = height * zoom <= box.clientHeight - 2 * PAD ? box.clientHeight / 2 - (minY + height / 2) * zoom : PAD - minY * zoom;
  void flow.setViewport({ x: PAD - minX * zoom, y, zoom });
}

function PreviewCanvas({ def }: { def: WorkflowDef }) {
  const { nodes, edges } = useMemo(() => toGraph(def), [def]);
  const box = useRef<HTMLDivElement>(null);
  return (
    <div ref={box} className={styles.previewCanvas} data-testid="template-canvas" data-node-count={nodes.length}>
      <ReactFlow<GraphNode, GraphEdge>
        onInit={(flow) => frame(flow, nodes, box.current)}
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        defaultEdgeOptions={defaultEdgeOptions}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={false}
        deleteKeyCode={null}
        minZoom={0.2}
        maxZoom={1.5}
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1.4} color="var(--color-canvas-dot)" />
        <Controls showInteractive={false} position="bottom-left" />
      </ReactFlow>
    </div>
  );
}
