import { useMutation } from "@tanstack/react-query";
import { CircleCheck, FileUp, Plus, Workflow, X } from "lucide-react";
import { useState } from "react";
import { useNavigate } from "react-router";

import { Button, EmptyState, ErrorPanel, PageHeader } from "@/components";
import {
  type ApiError,
  type Issue,
  type WorkflowOverview,
  pickExportPath,
  pickWorkflowFile,
  toApiError,
  workflowsApi,
} from "@/api";
import { useWatches } from "@/features/watch";

import { ActivateDialog } from "./ActivateDialog";
import { describeImport } from "./describe";
import { TemplateStarters } from "./TemplateStarters";
import { ActivationRefusedDialog, DeleteDialog, ImportDialog, NewWorkflowDialog } from "./dialogs";
import { useWorkflowActions, useWorkflows } from "./useWorkflows";
import { WorkflowTable } from "./WorkflowTable";
import styles from "./WorkflowsPage.module.css";

type Open =
  | { dialog: "new" }
  | { dialog: "import" }
  | { dialog: "delete"; workflow: WorkflowOverview }
  | { dialog: "refused"; name: string; issues: Issue[] }
  | { dialog: "activate"; name: string }
  | null;

/** The Workflows screen: every workflow, its status and headline numbers, and what to do with it. */
export function WorkflowsPage() {
  const { data, error, isPending, refetch } = useWorkflows();
  const watches = useWatches();
  const actions = useWorkflowActions();
  const navigate = useNavigate();
  const [open, setOpen] = useState<Open>(null);
  const [notice, setNotice] = useState<{ tone: "ok" | "error"; text: string } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const create = useMutation<{ id: number }, ApiError, string>({
    mutationFn: (name) => workflowsApi.create(name),
    onSuccess: (o) => void navigate(`/workflows/${o.id}`),
  });
  const importFile = useMutation<void, ApiError, boolean>({
    mutationFn: async (replace) => {
      const path = await pickWorkflowFile();
      if (path === null) return;
      const outcome = await workflowsApi.importFile(path, replace);
      void actions.refresh();
      void navigate(`/workflows/${outcome.id}`, { state: { notice: describeImport(outcome) } });
    },
  });

  const run = async (name: string, what: () => Promise<string | null>) => {
    setBusy(name);
    setNotice(null);
    try {
      const text = await what();
      if (text) setNotice({ tone: "ok", text });
    } catch (e) {
      setNotice({ tone: "error", text: toApiError(e).message });
    } finally {
      setBusy(null);
    }
  };

  // Activation shows the forecast first (ActivateDialog); its Activate
  // button, or a workflow that does not validate, comes back here.
  const activate = (name: string) => setOpen({ dialog: "activate", name });
  const activateNow = (name: string) =>
    run(name, async () => {
      try {
        await actions.setStatus.mutateAsync({ name, status: "active" });
        return `“${name}” is active: new runs start when its triggers fire.`;
      } catch (e) {
        const err = toApiError(e);
        if (err.code !== "validation_failed") throw err;
        const report = await workflowsApi.report(name);
        setOpen({ dialog: "refused", name, issues: report.issues });
        return null;
      }
    });
  const pause = (name: string) =>
    run(name, async () => {
      await actions.setStatus.mutateAsync({ name, status: "paused" });
      return `“${name}” is paused: nothing new starts; waiting runs stay where they are.`;
    });
  const duplicate = (name: string) =>
    run(name, async () => {
      const copy = (await workflowsApi.duplicate(name)).name;
      void actions.refresh();
      return `Duplicated as “${copy}”, a draft.`;
    });
  const exportTo = (name: string) =>
    run(name, async () => {
      const path = await pickExportPath(name);
      if (path === null) return null;
      const bytes = await workflowsApi.exportFile(name, path);
      return `Exported “${name}” to ${path} (${bytes.toLocaleString("en-GB")} bytes).`;
    });

  const headerActions = (
    <>
      <Button onClick={() => setOpen({ dialog: "import" })} data-testid="import-workflow">
        <FileUp size={16} aria-hidden /> Import…
      </Button>
      <Button variant="primary" onClick={() => setOpen({ dialog: "new" })} data-testid="new-workflow">
        <Plus size={16} aria-hidden /> New workflow
      </Button>
    </>
  );

  return (
    <>
      <PageHeader
        title="Workflows"
        description="Your automations: a trigger, then the steps Cairn takes for each contact."
        actions={headerActions}
      />
      {notice && (
        <div
          className={`${styles.notice} ${notice.tone === "error" ? styles.noticeError : ""}`}
          role={notice.tone === "error" ? "alert" : "status"}
          data-testid="workflows-notice"
        >
          {notice.tone === "ok" && <CircleCheck size={16} aria-hidden />}
          <span>{notice.text}</span>
          <button type="button" className={styles.iconButton} onClick={() => setNotice(null)} aria-label="Dismiss">
            <X size={14} aria-hidden />
          </button>
        </div>
      )}
      {isPending && (
        <p className={styles.loading} role="status">
          Loading workflows…
        </p>
      )}
      {error && (
        <ErrorPanel title="The workflows could not be loaded" error={error} onRetry={() => void refetch()} />
      )}
      {data && data.length === 0 && (
        <EmptyState icon={Workflow} title="No workflows yet" testId="workflows-empty">
          <p>
            A workflow welcomes a new subscriber, reminds a client before a call or follows up after a purchase,
            running from this laptop.
          </p>
          <p>
            The quickest way to one that works: start from a template, with its emails written, and adapt it.
          </p>
          <TemplateStarters />
          <p>Or start on an empty canvas, or import a workflow file someone shared with you.</p>
          <div className={styles.emptyActions}>
            <Button onClick={() => setOpen({ dialog: "import" })} data-testid="empty-import">
              <FileUp size={16} aria-hidden /> Import a file
            </Button>
            <Button onClick={() => setOpen({ dialog: "new" })} data-testid="empty-new">
              <Plus size={16} aria-hidden /> Empty canvas
            </Button>
          </div>
        </EmptyState>
      )}
      {data && data.length > 0 && (
        <WorkflowTable
          workflows={data}
          now={new Date()}
          watches={watches}
          busy={busy}
          onActivate={(n) => void activate(n)}
          onPause={(n) => void pause(n)}
          onDuplicate={(n) => void duplicate(n)}
          onExport={(n) => void exportTo(n)}
          onDelete={(w) => setOpen({ dialog: "delete", workflow: w })}
        />
      )}

      {open?.dialog === "activate" && (
        <ActivateDialog
          name={open.name}
          pending={busy === open.name}
          onActivate={() => {
            setOpen(null);
            void activateNow(open.name);
          }}
          onRefused={() => {
            setOpen(null);
            void activateNow(open.name);
          }}
          onClose={() => setOpen(null)}
        />
      )}
      {open?.dialog === "new" && (
        <NewWorkflowDialog
          onCreate={(name) => create.mutate(name)}
          onClose={() => {
            create.reset();
            setOpen(null);
          }}
          error={create.error}
          pending={create.isPending}
        />
      )}
      {open?.dialog === "import" && (
        <ImportDialog
          onPick={(replace) => importFile.mutate(replace)}
          onClose={() => {
            importFile.reset();
            setOpen(null);
          }}
          error={importFile.error}
          pending={importFile.isPending}
        />
      )}
      {open?.dialog === "delete" && (
        <DeleteDialog
          workflow={open.workflow}
          onConfirm={() =>
            actions.remove.mutate(open.workflow.workflow.name, {
              onSuccess: () => {
                setNotice({ tone: "ok", text: `Deleted “${open.workflow.workflow.name}”.` });
                setOpen(null);
              },
            })
          }
          onClose={() => {
            actions.remove.reset();
            setOpen(null);
          }}
          error={actions.remove.error}
          pending={actions.remove.isPending}
        />
      )}
      {open?.dialog === "refused" && (
        <ActivationRefusedDialog
          name={open.name}
          issues={open.issues}
          onClose={() => setOpen(null)}
          onOpen={() => {
            const w = data?.find((o) => o.workflow.name === open.name);
            setOpen(null);
            if (w) void navigate(`/workflows/${w.workflow.id}`);
          }}
        />
      )}
    </>
  );
}
