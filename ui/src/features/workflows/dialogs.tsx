import { FileUp, TriangleAlert } from "lucide-react";
import { useState } from "react";

import { Button, Dialog, ErrorPanel, Field, inputClass } from "@/components";
import type { ApiError, Issue, WorkflowOverview } from "@/api";

import styles from "./WorkflowsPage.module.css";

/** Asks for a name, then creates the workflow (the page opens the editor). */
export function NewWorkflowDialog({
  onCreate,
  onClose,
  error,
  pending,
}: {
  onCreate: (name: string) => void;
  onClose: () => void;
  error: ApiError | null;
  pending: boolean;
}) {
  const [name, setName] = useState("");
  const problem = error?.code === "conflict" ? "A workflow with this name exists already; pick another name." : null;
  return (
    <Dialog
      title="New workflow"
      description="Give it a name; the editor opens on an empty canvas."
      onClose={onClose}
      testId="new-workflow-dialog"
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            variant="primary"
            type="submit"
            form="new-workflow-form"
            disabled={pending || name.trim() === ""}
            data-testid="new-workflow-create"
          >
            Create and open
          </Button>
        </>
      }
    >
      <form
        id="new-workflow-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim()) onCreate(name.trim());
        }}
      >
        <Field label="Name" htmlFor="new-workflow-name" hint="Such as “Program A post-purchase”." error={problem ?? undefined}>
          <input
            id="new-workflow-name"
            className={inputClass}
            value={name}
            autoFocus
            onChange={(e) => setName(e.target.value)}
            aria-invalid={problem ? true : undefined}
            data-testid="new-workflow-name"
          />
        </Field>
      </form>
      {error && !problem && <ErrorPanel title="The workflow could not be created" error={error} />}
    </Dialog>
  );
}

/**
 * Imports a workflow file: says what happens (it arrives paused; a taken
 * name makes a copy unless "replace" is chosen), then opens the native
 * file dialog. A bad file's error names the file, the JSON path and why.
 */
export function ImportDialog({
  onPick,
  onClose,
  error,
  pending,
}: {
  onPick: (replace: boolean) => void;
  onClose: () => void;
  error: ApiError | null;
  pending: boolean;
}) {
  const [replace, setReplace] = useState(false);
  return (
    <Dialog
      title="Import a workflow"
      description="A Cairn workflow file (.json), shared by a peer, kept in git or exported on another machine."
      onClose={onClose}
      testId="import-dialog"
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" onClick={() => onPick(replace)} disabled={pending} data-testid="import-choose">
            <FileUp size={16} aria-hidden /> Choose file…
          </Button>
        </>
      }
    >
      <p className={styles.dialogText}>
        Imported workflows arrive <strong>paused</strong>: nothing runs until you check and activate it.
      </p>
      <fieldset className={styles.choices}>
        <legend>When a workflow with the same name exists</legend>
        <label>
          <input type="radio" name="clash" checked={!replace} onChange={() => setReplace(false)} data-testid="import-as-copy" />
          Import as a copy (“Name (2)”)
        </label>
        <label>
          <input type="radio" name="clash" checked={replace} onChange={() => setReplace(true)} data-testid="import-replace" />
          Replace the existing workflow (its runs stay on their version)
        </label>
      </fieldset>
      {error && (
        <div data-testid="import-error">
          <ErrorPanel title="This file cannot be imported" error={error} />
        </div>
      )}
    </Dialog>
  );
}

/** Makes sure, then deletes a workflow with its versions and run history. */
export function DeleteDialog({
  workflow,
  onConfirm,
  onClose,
  error,
  pending,
}: {
  workflow: WorkflowOverview;
  onConfirm: () => void;
  onClose: () => void;
  error: ApiError | null;
  pending: boolean;
}) {
  const w = workflow.workflow;
  return (
    <Dialog
      title={`Delete “${w.name}”?`}
      onClose={onClose}
      testId="delete-dialog"
      footer={
        <>
          <Button onClick={onClose}>Keep it</Button>
          <Button className={styles.dangerButton} onClick={onConfirm} disabled={pending} data-testid="delete-confirm">
            Delete workflow
          </Button>
        </>
      }
    >
      <p className={styles.dialogText}>
        Its {w.version === 1 ? "version" : `${w.version} versions`}, its runs and their steps are deleted from this
        laptop. This cannot be undone; export it first to keep a copy.
      </p>
      {workflow.active_runs > 0 && (
        <p className={styles.warningText}>
          <TriangleAlert size={16} aria-hidden /> {workflow.active_runs} run{workflow.active_runs === 1 ? " is" : "s are"}{" "}
          still going; they stop here.
        </p>
      )}
      {error && <ErrorPanel title="The workflow could not be deleted" error={error} />}
    </Dialog>
  );
}

/** Activation was refused: the errors to fix, and the way to the editor. */
export function ActivationRefusedDialog({
  name,
  issues,
  onOpen,
  onClose,
}: {
  name: string;
  issues: Issue[];
  onOpen: () => void;
  onClose: () => void;
}) {
  const errors = issues.filter((i) => i.severity === "error");
  return (
    <Dialog
      title={`“${name}” cannot be activated yet`}
      description={`Fix ${errors.length === 1 ? "this error" : `these ${errors.length} errors`} first; nothing runs meanwhile.`}
      onClose={onClose}
      testId="activation-refused"
      footer={
        <>
          <Button onClick={onClose}>Close</Button>
          <Button variant="primary" onClick={onOpen} data-testid="activation-open-editor">
            Open in the editor
          </Button>
        </>
      }
    >
      <ul className={styles.issueList}>
        {errors.map((i, n) => (
          <li key={n} data-testid="activation-issue">
            <TriangleAlert size={15} aria-hidden className={styles.issueIcon} />
            <span>
              {i.node && <code>{i.node}</code>} {i.message}
            </span>
          </li>
        ))}
      </ul>
    </Dialog>
  );
}
