// The canvas: our WorkflowDef drawn with @xyflow/react. The canvas library
// never owns the workflow: nodes and edges are derived from the def on each
// change, and what the user does (move, select, connect, drop a palette
// item) comes back as changes to the def. Only the measured size of each
// node is the canvas's own state.

import "@xyflow/react/dist/style.css";

import {
  Background,
  BackgroundVariant,
  type Connection,
  Controls,
  type Edge as FlowEdge,
  type EdgeChange,
  MarkerType,
  MiniMap,
  type NodeChange,
  ReactFlow,
  useNodesInitialized,
  useReactFlow,
} from "@xyflow/react";
import { MousePointerClick } from "lucide-react";
import { type DragEvent, useCallback, useEffect, useMemo, useRef, useState } from "react";

import type { NodeCounts, WorkflowDef } from "@/api";
import { connectionProblem } from "@/core/editor/edit";
import { exitTone, labelWithCount } from "@/core/editor/exits";
import { type GraphEdge, toGraphEdge, toGraphNode } from "@/core/editor/graph";
import type { IssueIndex, NodeIssues } from "@/core/editor/issues";
import { type Kind, isKind } from "@/core/editor/kinds";
import { NODE_SIZE } from "@/core/editor/layout";
import type { TraceMark } from "@/core/editor/testRun";

import styles from "./Editor.module.css";
import { KIND_MIME } from "./Palette";
import type { Selection } from "./state";
import { estimatedHandles } from "./handles";
import { StepNode, type StepFlowNode } from "./StepNode";

/** Node types at module scope, so React Flow never sees a new object. */
const nodeTypes = { step: StepNode };

const defaultEdgeOptions = {
  type: "smoothstep",
  markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 },
};

/**
 * The smallest zoom a workflow opens at: below it node text is too small
 * to read, so a tall workflow opens at this zoom showing its top (the
 * triggers) instead of shrinking to fit. "Fit in view" still fits all.
 */
const READABLE_ZOOM = 0.75;

/**
 * Above this many nodes the canvas keeps only the nodes and edges in view
 * in the page (React Flow's onlyRenderVisibleElements): drawing and
 * measuring every node of a 500-node workflow took seconds before the
 * canvas answered (docs/BENCHMARKS.md, "Editor"). Nodes not drawn yet count
 * at their usual size (NODE_SIZE) until they are measured.
 */
export const VISIBLE_ONLY_ABOVE = 150;

type Cached = {
  source: WorkflowDef["nodes"][number];
  selected: boolean;
  issues: NodeIssues | null;
  measured: Measured | undefined;
  trace: TraceMark | null;
  counts: NodeCounts | null;
  node: StepFlowNode;
};
type Measured = { width?: number; height?: number };

type Props = {
  def: WorkflowDef;
  selection: Selection;
  issues: IssueIndex;
  /** The test run's mark per node (the panel's run), or null. */
  trace?: Map<string, TraceMark> | null;
  /** Live runs' counts per node when "Show run counts" is on, or null. */
  counts?: Map<string, NodeCounts> | null;
  /** Positions changed during a drag (`done` when the drag ended). */
  onMove: (positions: Map<string, { x: number; y: number }>) => void;
  onDragStart: () => void;
  /** Selection changes from clicks and box selection: ids turned on or off. */
  onSelectionChange: (kind: "nodes" | "edges", changes: { id: string; selected: boolean }[]) => void;
  onConnect: (c: { from: string; exit: string; to: string }) => void;
  onDrop: (kind: Kind, at: { x: number; y: number }) => void;
};

export function Canvas({ def, selection, issues, trace = null, counts = null, onMove, onDragStart, onSelectionChange, onConnect, onDrop }: Props) {
  const flow = useReactFlow<StepFlowNode, FlowEdge>();
  const [measured, setMeasured] = useState<Map<string, Measured>>(() => new Map());
  const cache = useRef(new Map<string, Cached>());

  const pane = useRef<HTMLDivElement>(null);
  const initialized = useNodesInitialized();
  const framed = useRef(false);
  const empty = def.nodes.length === 0;
  const visibleOnly = def.nodes.length > VISIBLE_ONLY_ABOVE;
  // Frame the workflow once, when its nodes have been measured (or at once
  // for an empty canvas: the first node then lands near the top middle; and
  // for a large one, from the nodes' usual size: most are never measured).
  useEffect(() => {
    const box = pane.current?.getBoundingClientRect();
    if (framed.current || !box || (!initialized && !empty && !visibleOnly)) return;
    framed.current = true;
    if (empty) {
      void flow.setViewport({ x: box.width / 2 - NODE_SIZE.width / 2, y: 64, zoom: 1 });
      return;
    }
    const b = flow.getNodesBounds(flow.getNodes());
    const pad = 48;
    const fit = Math.min(1, (box.width - 2 * pad) / b.width, (box.height - 2 * pad) / b.height);
    if (fit >= READABLE_ZOOM) {
      void flow.fitView({ padding: 0.15, maxZoom: 1 });
    } else {
      const zoom = READABLE_ZOOM;
      void flow.setViewport({ x: box.width / 2 - (b.x + b.width / 2) * zoom, y: pad - b.y * zoom, zoom });
    }
  }, [initialized, empty, visibleOnly, flow]);

  const selectedNodes = useMemo(() => new Set(selection.nodes), [selection.nodes]);
  const selectedEdges = useMemo(() => new Set(selection.edges), [selection.edges]);

  // One canvas node per model node; an unchanged node keeps its object so
  // React Flow skips it.
  const nodes = useMemo(() => {
    const next = new Map<string, Cached>();
    const list = def.nodes.map((n) => {
      const sel = selectedNodes.has(n.id);
      const iss = issues.byNode.get(n.id) ?? null;
      const m = measured.get(n.id);
      const tr = trace?.get(n.id) ?? null;
      const ct = counts?.get(n.id) ?? null;
      const prev = cache.current.get(n.id);
      if (
        prev &&
        prev.source === n &&
        prev.selected === sel &&
        prev.issues === iss &&
        prev.measured === m &&
        prev.trace === tr &&
        prev.counts === ct
      ) {
        next.set(n.id, prev);
        return prev.node;
      }
      const g = toGraphNode(n, iss);
      const node: StepFlowNode = {
        ...g,
        data: { ...g.data, trace: tr, counts: ct },
        selected: sel,
        initialWidth: NODE_SIZE.width,
        initialHeight: NODE_SIZE.height,
        // Measured: React Flow keeps the handles it measured. Not yet, on a
        // large canvas: where they will be, so it need not draw the node to
        // know (estimatedHandles).
        ...(m ? { measured: m } : visibleOnly ? { handles: estimatedHandles(n.kind, g.data.exits) } : {}),
      };
      next.set(n.id, { source: n, selected: sel, issues: iss, measured: m, trace: tr, counts: ct, node });
      return node;
    });
    cache.current = next;
    return list;
  }, [def.nodes, selectedNodes, issues, measured, trace, counts, visibleOnly]);

  const edges = useMemo(
    () =>
      def.edges.map((e): FlowEdge => {
        const g: GraphEdge = toGraphEdge(def, e);
        const tone = exitTone(e.exit);
        const label = labelWithCount(g.label ?? "", e.exit, counts?.get(e.from));
        return {
          ...g,
          ...(label ? { label } : {}),
          selected: selectedEdges.has(g.id),
          className: tone === "negative" ? styles.edgeNegative : tone === "positive" ? styles.edgePositive : undefined,
          labelBgPadding: [6, 2],
          labelBgBorderRadius: 999,
          labelStyle: { fontSize: 11, fontWeight: 600 },
        };
      }),
    [def, selectedEdges, counts],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange<StepFlowNode>[]) => {
      const moved = new Map<string, { x: number; y: number }>();
      const selected: { id: string; selected: boolean }[] = [];
      let sizes: Map<string, Measured> | null = null;
      for (const c of changes) {
        if (c.type === "position" && c.position) {
          moved.set(c.id, c.position);
        } else if (c.type === "select") {
          selected.push({ id: c.id, selected: c.selected });
        } else if (c.type === "dimensions" && c.dimensions) {
          sizes ??= new Map(measured);
          const prev = sizes.get(c.id);
          if (prev?.width !== c.dimensions.width || prev?.height !== c.dimensions.height) {
            sizes.set(c.id, { width: c.dimensions.width, height: c.dimensions.height });
          }
        }
      }
      if (moved.size > 0) onMove(moved);
      if (selected.length > 0) onSelectionChange("nodes", selected);
      if (sizes) setMeasured(sizes);
    },
    [measured, onMove, onSelectionChange],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      const selected = changes.flatMap((c) => (c.type === "select" ? [{ id: c.id, selected: c.selected }] : []));
      if (selected.length > 0) onSelectionChange("edges", selected);
    },
    [onSelectionChange],
  );

  const isValidConnection = useCallback(
    (c: Connection | FlowEdge) => connectionProblem(def, c.source, c.sourceHandle ?? "next", c.target) === null,
    [def],
  );

  const handleDrop = (e: DragEvent) => {
    const kind = e.dataTransfer.getData(KIND_MIME);
    if (!isKind(kind)) return;
    e.preventDefault();
    const at = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
    onDrop(kind, { x: Math.round(at.x - NODE_SIZE.width / 2), y: Math.round(at.y - 24) });
  };

  return (
    <div
      ref={pane}
      className={styles.canvas}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes(KIND_MIME)) {
          e.preventDefault();
          e.dataTransfer.dropEffect = "move";
        }
      }}
      onDrop={handleDrop}
      data-testid="canvas"
    >
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        defaultEdgeOptions={defaultEdgeOptions}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onNodeDragStart={onDragStart}
        onSelectionDragStart={onDragStart}
        onConnect={(c) => onConnect({ from: c.source, exit: c.sourceHandle ?? "next", to: c.target })}
        isValidConnection={isValidConnection}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode="Shift"
        minZoom={0.2}
        maxZoom={2}
        snapToGrid
        snapGrid={[8, 8]}
        onlyRenderVisibleElements={visibleOnly}
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1.4} color="var(--color-canvas-dot)" />
        <Controls showInteractive={false} position="bottom-left" />
        <MiniMap
          pannable
          zoomable
          position="bottom-right"
          nodeColor={(n) => ((n as StepFlowNode).data.issues?.severity === "error" ? "var(--color-danger)" : "var(--color-border-strong)")}
          nodeBorderRadius={6}
          maskColor="rgba(247, 245, 241, 0.6)"
          style={{ width: 168, height: 112 }}
          aria-label="Minimap"
        />
      </ReactFlow>
      {def.nodes.length === 0 && (
        <div className={styles.emptyCanvas} data-testid="empty-canvas">
          <MousePointerClick size={28} aria-hidden />
          <h2>Start with a trigger</h2>
          <p>Pick what starts this workflow from the palette on the left: a purchase, a signup, a tag, a date… Click it or drag it here; then add the steps that follow.</p>
        </div>
      )}
    </div>
  );
}
