// The canvas editor of one workflow: palette, canvas, inspector, problems
// list and toolbar around one reducer that holds the draft (our own
// WorkflowDef) and its undo history. Saving sends that def, positions
// included, to save_workflow; nothing of the canvas library's own state is
// ever stored.

import { useQueryClient } from "@tanstack/react-query";
import { useReactFlow } from "@xyflow/react";
import { History } from "lucide-react";
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";

import { Button } from "@/components";
import { type TestRun, type WorkflowDef, type WorkflowSummary, pickExportPath, queryKeys, toApiError, workflowsApi } from "@/api";
import { copyNodes, pasteClip } from "@/core/editor/clipboard";
import { addNode, addNodeAfter, connect, moveNode, removeEdges, removeNodes, updateNode } from "@/core/editor/edit";
import { edgeId } from "@/core/editor/graph";
import { canRedo, canUndo } from "@/core/editor/history";
import { indexIssues, problemList } from "@/core/editor/issues";
import type { Kind } from "@/core/editor/kinds";
import { NODE_SIZE, autoLayout } from "@/core/editor/layout";
import { namesFor } from "@/core/editor/names";
import { traceOf } from "@/core/editor/testRun";
import { ActivateDialog } from "@/features/workflows";
import { WatchRow, useWatch } from "@/features/watch";

import { Canvas } from "./Canvas";
import { heldClip, holdClip } from "./clipboardStore";
import styles from "./Editor.module.css";
import { useCatalog, useValidation } from "./hooks";
import { Inspector } from "./inspector/Inspector";
import { InspectorBoundary } from "./InspectorBoundary";
import { LeaveGuard } from "./LeaveGuard";
import { Palette } from "./Palette";
import { Problems } from "./Problems";
import { ShortcutSheet } from "./ShortcutSheet";
import { type Command, commandFor } from "./shortcuts";
import { editorReducer, initialState, isDirty } from "./state";
import { TestRunPanel } from "./TestRunPanel";
import { type StatusLine, Toolbar } from "./Toolbar";
import { useKeptDraft } from "./useKeptDraft";
import { useRunCounts } from "./useRunCounts";

type Props = {
  summary: WorkflowSummary;
  def: WorkflowDef;
  /** A sentence to show first (what an import did). */
  notice?: string;
};

function typingIn(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName);
}

export function Editor({ summary, def: loaded, notice }: Props) {
  const [state, dispatch] = useReducer(editorReducer, undefined, () => initialState(summary, loaded));
  const def = state.history.present;
  const dirty = useMemo(() => isDirty(state), [state]);
  const flow = useReactFlow();
  const client = useQueryClient();
  const catalog = useCatalog();
  const names = useMemo(() => namesFor(def, catalog.data, state.summary.name), [def, catalog.data, state.summary.name]);

  const validation = useValidation(def);
  const idsKey = def.nodes.map((n) => n.id).join("\u0000");
  // Re-indexed when the report or the set of nodes changes, not on every
  // drag frame, so unchanged nodes keep their issue objects.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const issues = useMemo(() => indexIssues(validation.report?.issues ?? [], def), [validation.report, idsKey]);
  const problems = useMemo(() => problemList(validation.report?.issues ?? [], def), [validation.report, def]);

  const [statusLine, setStatusLine] = useState<StatusLine>(notice ? { tone: "info", text: notice } : null);
  const [saving, setSaving] = useState(false);
  const [problemsOpen, setProblemsOpen] = useState(true);
  const [sheet, setSheet] = useState(false);
  const [clipReady, setClipReady] = useState(heldClip() !== null);
  const kept = useKeptDraft(summary.id, summary.version, loaded, def, dirty);
  // The test run panel replaces the inspector while open; its run lights
  // the canvas up. The counts badges are the live runs'.
  const [testing, setTesting] = useState(false);
  const [testRun, setTestRun] = useState<TestRun | null>(null);
  const trace = useMemo(() => (testing && testRun ? traceOf(testRun.steps, testRun.run.current_node) : null), [testing, testRun]);
  const [showCounts, setShowCounts] = useState(false);
  const runCounts = useRunCounts(state.summary.name, state.summary.id, showCounts);
  const watch = useWatch(state.summary.id, `${state.summary.status}/${state.summary.version}/${state.summary.updated_at}`);
  useEffect(() => {
    if (runCounts.error) setStatusLine({ tone: "error", text: `The run counts could not be read: ${runCounts.error}` });
  }, [runCounts.error]);

  const selected = state.selection;
  const single = selected.nodes.length === 1 ? (def.nodes.find((n) => n.id === selected.nodes[0]) ?? null) : null;

  const edit = useCallback(
    (next: WorkflowDef, opts: { select?: { nodes: string[]; edges: string[] }; coalesce?: string } = {}) => {
      if (next === def) return;
      dispatch({ type: "edit", def: next, ...opts });
      setStatusLine(null);
    },
    [def],
  );

  const focusNode = useCallback(
    (id: string, position?: { x: number; y: number }) => {
      const n = position ?? def.nodes.find((x) => x.id === id)?.position;
      if (!n) return;
      void flow.setCenter(n.x + NODE_SIZE.width / 2, n.y + NODE_SIZE.height / 2, { zoom: flow.getZoom(), duration: 250 });
    },
    [def.nodes, flow],
  );

  // Follow the test run: bring the node it is at into view as it moves.
  const runAt = testing ? (testRun?.run.current_node ?? null) : null;
  useEffect(() => {
    if (runAt) focusNode(runAt);
    // Only when the run moves, not when the nodes do.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [runAt]);

  // --- Commands ------------------------------------------------------------

  const add = (kind: Kind) => {
    const after = selected.nodes.length === 1 ? selected.nodes[0]! : null;
    const r = addNodeAfter(def, kind, after);
    edit(r.def, { select: { nodes: [r.id], edges: [] } });
    focusNode(r.id, r.def.nodes.find((n) => n.id === r.id)?.position);
  };

  const drop = (kind: Kind, at: { x: number; y: number }) => {
    const r = addNode(def, kind, at);
    edit(r.def, { select: { nodes: [r.id], edges: [] } });
  };

  const deleteSelection = () => {
    const edges = def.edges.filter((e) => selected.edges.includes(edgeId(e)));
    const next = removeEdges(removeNodes(def, new Set(selected.nodes)), edges);
    edit(next, { select: { nodes: [], edges: [] } });
  };

  const copy = () => {
    const clip = copyNodes(def, selected.nodes);
    if (!clip) return;
    holdClip(clip);
    setClipReady(true);
    setStatusLine({ tone: "info", text: `Copied ${clip.nodes.length} node${clip.nodes.length === 1 ? "" : "s"}.` });
  };

  const paste = () => {
    const clip = heldClip();
    if (!clip) return;
    const here = new Set(def.nodes.map((n) => n.id));
    const fromHere = clip.nodes.every((n) => here.has(n.id));
    let at: { x: number; y: number } | undefined;
    if (!fromHere) {
      const box = document.querySelector("[data-testid=canvas]")?.getBoundingClientRect();
      if (box) {
        const c = flow.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 3 });
        at = { x: Math.round(c.x - NODE_SIZE.width / 2), y: Math.round(c.y) };
      }
    }
    const r = pasteClip(def, clip, at);
    edit(r.def, { select: { nodes: r.ids, edges: [] } });
    setStatusLine({ tone: "info", text: `Pasted ${r.ids.length} node${r.ids.length === 1 ? "" : "s"}.` });
  };

  const duplicate = () => {
    const clip = copyNodes(def, selected.nodes);
    if (!clip) return;
    const r = pasteClip(def, clip);
    edit(r.def, { select: { nodes: r.ids, edges: [] } });
  };

  const layout = () => {
    const sizes = new Map(flow.getNodes().map((n) => [n.id, n.measured ?? {}]));
    edit(autoLayout(def, sizes));
    requestAnimationFrame(() => void flow.fitView({ padding: 0.2, duration: 250, maxZoom: 1 }));
  };

  const fit = () => void flow.fitView({ padding: 0.2, duration: 250, maxZoom: 1 });

  const save = async (): Promise<boolean> => {
    setSaving(true);
    const sent = def;
    try {
      const outcome = await workflowsApi.save(state.summary.id, sent);
      dispatch({
        type: "saved",
        def: sent,
        summary: { ...state.summary, name: sent.name.trim(), version: outcome.version },
      });
      setStatusLine({
        tone: "ok",
        text: outcome.unchanged
          ? "Nothing changed since the last save."
          : outcome.new_version
            ? `Version ${outcome.version} saved. Runs already going stay on version ${outcome.version - 1}.`
            : `Saved (version ${outcome.version}).`,
      });
      void client.invalidateQueries({ queryKey: queryKeys.workflows });
      void client.invalidateQueries({ queryKey: queryKeys.catalog });
      return true;
    } catch (e) {
      const err = toApiError(e);
      setStatusLine({
        tone: "error",
        text:
          err.code === "validation_failed"
            ? "Not saved: an active workflow must stay free of errors. Fix them, or pause the workflow first."
            : err.code === "conflict"
              ? `Not saved: ${err.message}. Pick another name in the workflow settings.`
              : `Not saved: ${err.message}`,
      });
      return false;
    } finally {
      setSaving(false);
    }
  };

  const setStatus = async (status: "active" | "paused") => {
    if (dirty && !(await save())) return;
    setSaving(true);
    try {
      const w = await workflowsApi.setStatus(state.summary.name, status);
      dispatch({ type: "status", summary: w });
      setStatusLine({
        tone: "ok",
        text: status === "active" ? "Active: new runs start when a trigger fires." : "Paused: nothing new starts; waiting runs stay put.",
      });
      void client.invalidateQueries({ queryKey: queryKeys.workflows });
    } catch (e) {
      const err = toApiError(e);
      if (err.code === "validation_failed") {
        setProblemsOpen(true);
        const n = issues.errors;
        setStatusLine({
          tone: "error",
          text: `Activation refused: fix the ${n > 0 ? `${n} ` : ""}error${n === 1 ? "" : "s"} listed under Problems first.`,
        });
      } else {
        setStatusLine({ tone: "error", text: err.message });
      }
    } finally {
      setSaving(false);
    }
  };

  // Activation shows the forecast of the saved version first; saving
  // changes to an active workflow, the forecast of the new version.
  const [activating, setActivating] = useState(false);
  const [confirmSave, setConfirmSave] = useState(false);
  const requestSave = () => {
    if (state.summary.status === "active" && dirty) setConfirmSave(true);
    else void save();
  };
  const saveNow = () => {
    setConfirmSave(false);
    void save();
  };
  const askActivate = async () => {
    if (dirty && !(await save())) return;
    setActivating(true);
  };
  const activateNow = () => {
    setActivating(false);
    void setStatus("active");
  };

  const exportFile = async () => {
    if (dirty && !(await save())) return;
    try {
      const path = await pickExportPath(state.summary.name);
      if (path === null) return;
      const bytes = await workflowsApi.exportFile(state.summary.name, path);
      setStatusLine({ tone: "ok", text: `Exported to ${path} (${bytes.toLocaleString("en-GB")} bytes).` });
    } catch (e) {
      setStatusLine({ tone: "error", text: `Not exported: ${toApiError(e).message}` });
    }
  };

  // --- Keyboard ------------------------------------------------------------

  // Each command of shortcuts.ts; false when it does not apply now (the
  // key then keeps its usual meaning).
  const run: Record<Command, () => boolean | void> = {
    save: requestSave,
    undo: () => dispatch({ type: "undo" }),
    redo: () => dispatch({ type: "redo" }),
    copy,
    cut: () => {
      copy();
      deleteSelection();
    },
    paste,
    duplicate,
    selectAll: () => dispatch({ type: "select", selection: { nodes: def.nodes.map((n) => n.id), edges: [] } }),
    delete: () => {
      if (selected.nodes.length === 0 && selected.edges.length === 0) return false;
      deleteSelection();
    },
    layout,
    fit,
    clearSelection: () => dispatch({ type: "select", selection: { nodes: [], edges: [] } }),
    sheet: () => setSheet(true),
  };
  const commands = useRef(run);
  commands.current = run;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const command = commandFor(e, typingIn(e.target) || document.querySelector("dialog[open]") !== null);
      if (command && commands.current[command]() !== false) e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  return (
    <div className={styles.editor} data-testid="editor" data-dirty={dirty}>
      <Toolbar
        name={def.name}
        status={state.summary.status}
        version={state.summary.version}
        dirty={dirty}
        saving={saving}
        statusLine={statusLine}
        canUndo={canUndo(state.history)}
        canRedo={canRedo(state.history)}
        hasSelection={selected.nodes.length > 0 || selected.edges.length > 0}
        canPaste={clipReady}
        testing={testing}
        showCounts={showCounts}
        onTest={() => setTesting((t) => !t)}
        onCounts={() => setShowCounts((c) => !c)}
        onUndo={() => dispatch({ type: "undo" })}
        onRedo={() => dispatch({ type: "redo" })}
        onCopy={copy}
        onPaste={paste}
        onDelete={deleteSelection}
        onLayout={layout}
        onFit={fit}
        onShortcuts={() => setSheet(true)}
        onExport={() => void exportFile()}
        onSave={requestSave}
        onActivate={() => void askActivate()}
        onPause={() => void setStatus("paused")}
      />
      <div className={styles.body}>
        <Palette onAdd={add} after={single ? single.label?.trim() || single.id : null} />
        <div className={styles.center}>
          {watch && (
            <div className={styles.watch}>
              <WatchRow watch={watch} now={new Date()} label={(id) => def.nodes.find((n) => n.id === id)?.label?.trim() || id} />
            </div>
          )}
          {kept.offer && (
            <div className={styles.recovery} role="status" data-testid="recovery-banner">
              <History size={16} aria-hidden />
              <span>
                Changes to this workflow from {new Date(kept.offer.keptAt).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" })} were
                never saved. Bring them back?
              </span>
              <Button
                onClick={() => {
                  const draft = kept.offer!.draft;
                  kept.answered();
                  edit(draft, { select: { nodes: [], edges: [] } });
                  setStatusLine({ tone: "info", text: "Unsaved changes restored; save to keep them." });
                }}
                data-testid="recovery-restore"
              >
                Restore
              </Button>
              <button type="button" className={styles.recoveryDismiss} onClick={kept.answered} data-testid="recovery-discard">
                Discard
              </button>
            </div>
          )}
          <Canvas
            def={def}
            selection={selected}
            issues={issues}
            trace={trace}
            counts={runCounts.counts}
            onMove={(moved) => {
              let next = def;
              for (const [id, p] of moved) next = moveNode(next, id, p);
              dispatch({ type: "move", def: next });
            }}
            onDragStart={() => dispatch({ type: "checkpoint" })}
            onSelectionChange={(kind, changes) => dispatch({ type: "selectionChange", kind, changes })}
            onConnect={(c) => edit(connect(def, c))}
            onDrop={drop}
          />
          <Problems
            problems={problems}
            errors={issues.errors}
            warnings={issues.warnings}
            checking={validation.checking}
            failure={validation.error?.message ?? null}
            open={problemsOpen}
            onToggle={() => setProblemsOpen((o) => !o)}
            onJump={(id) => {
              dispatch({ type: "select", selection: { nodes: [id], edges: [] } });
              focusNode(id);
            }}
          />
        </div>
        {testing ? (
          <TestRunPanel
            def={def}
            workflow={state.summary.name}
            dirty={dirty}
            onSave={async () => ((await save()) ? def.name.trim() : null)}
            onRun={setTestRun}
            onClose={() => setTesting(false)}
          />
        ) : (
          <InspectorBoundary key={single?.id ?? "workflow"}>
            <Inspector
              def={def}
              node={single}
              selectedCount={selected.nodes.length}
              issues={single ? (issues.byNode.get(single.id) ?? null) : null}
              names={names}
              onNode={(n, key) => edit(updateNode(def, n.id, n), key ? { coalesce: key } : {})}
              onDef={(d, key) => edit(d, key ? { coalesce: key } : {})}
              onDelete={deleteSelection}
            />
          </InspectorBoundary>
        )}
      </div>
      {sheet && <ShortcutSheet onClose={() => setSheet(false)} />}
      {confirmSave && (
        <ActivateDialog
          name={state.summary.name}
          draft={def}
          pending={saving}
          onActivate={saveNow}
          onRefused={saveNow}
          onClose={() => setConfirmSave(false)}
        />
      )}
      {activating && (
        <ActivateDialog
          name={state.summary.name}
          pending={saving}
          onActivate={activateNow}
          onRefused={activateNow}
          onClose={() => setActivating(false)}
        />
      )}
      <LeaveGuard dirty={dirty} onSave={save} onDiscard={kept.forget} />
    </div>
  );
}
