import { useQuery } from "@tanstack/react-query";
import { ArrowDown, ArrowUp, Trash2, TriangleAlert } from "lucide-react";
import { useState } from "react";

import { type Pipeline, type StageUse, pipelinesApi, queryKeys } from "@/api";
import { Button, Dialog, Field, inputClass } from "@/components";

import styles from "./Pipelines.module.css";
import { usePipelineEdit } from "./usePipelineEdits";

type Props = {
  pipeline: Pipeline;
  onClose: () => void;
  /** The pipeline's name changed. */
  onRenamed: (p: Pipeline) => void;
};

/** One stage's row: rename on blur or Enter, move up and down, delete. */
function StageRow({ pipeline, stage, index, usedBy }: { pipeline: Pipeline; stage: string; index: number; usedBy: string[] }) {
  const [name, setName] = useState(stage);
  const rename = usePipelineEdit((to: string) => pipelinesApi.renameStage(pipeline.name, stage, to));
  const move = usePipelineEdit((to: number) => pipelinesApi.moveStage(pipeline.name, stage, to));
  const remove = usePipelineEdit(() => pipelinesApi.deleteStage(pipeline.name, stage));
  const error = rename.error ?? move.error ?? remove.error;
  const commit = () => {
    if (name.trim() && name.trim() !== stage) rename.mutate(name.trim());
  };
  return (
    <li className={styles.stageRow} data-testid="stage-row">
      <input
        className={inputClass}
        aria-label={`Name of stage ${stage}`}
        value={name}
        onChange={(e) => setName(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => e.key === "Enter" && commit()}
      />
      <Button aria-label={`Move ${stage} earlier`} disabled={index === 0} onClick={() => move.mutate(index - 1)}>
        <ArrowUp size={14} aria-hidden />
      </Button>
      <Button
        aria-label={`Move ${stage} later`}
        disabled={index === pipeline.stages.length - 1}
        onClick={() => move.mutate(index + 1)}
      >
        <ArrowDown size={14} aria-hidden />
      </Button>
      <Button aria-label={`Delete ${stage}`} onClick={() => remove.mutate(undefined)} data-testid="delete-stage">
        <Trash2 size={14} aria-hidden />
      </Button>
      {usedBy.length > 0 && (
        <p className={styles.stageUse} data-testid="stage-used-by">
          Used by {names(usedBy)}
        </p>
      )}
      {error && (
        <p className={styles.inlineError} role="alert" data-testid="stage-error">
          {error.message}
        </p>
      )}
    </li>
  );
}

/** Workflow names as a sentence: “A”, “A and B”, “A, B and 3 more”. */
function names(list: string[]): string {
  const quoted = list.map((n) => `“${n}”`);
  if (quoted.length <= 2) return quoted.join(" and ");
  if (quoted.length === 3) return `${quoted[0]}, ${quoted[1]} and ${quoted[2]}`;
  return `${quoted[0]}, ${quoted[1]} and ${quoted.length - 2} more`;
}

/** Whether a stage name (as a workflow wrote it) is this stage. */
const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Workflows that name a stage this pipeline no longer has (renamed or
 * deleted): their deal steps fail on it, and activating them brings it
 * back. Said here, where the rename happened.
 */
function StaleStages({ pipeline, uses }: { pipeline: Pipeline; uses: StageUse[] }) {
  const stale = uses.filter((u) => u.stage !== null && !pipeline.stages.some((s) => same(s, u.stage!)));
  if (stale.length === 0) return null;
  return (
    <div className={styles.staleStages} role="status" data-testid="stale-stages">
      <TriangleAlert size={16} aria-hidden />
      <ul>
        {stale.map((u) => (
          <li key={u.stage}>
            {names(u.workflows)} still {u.workflows.length === 1 ? "names" : "name"} the stage “{u.stage}”, which{" "}
            {pipeline.name} no longer has. Edit {u.workflows.length === 1 ? "it" : "them"} to use another stage, or give a
            stage that name again.
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * Renames a pipeline and edits its stages: rename, reorder, add, and delete
 * a stage no deal stands in (the store refuses one in use and says how many
 * deals to move first).
 */
export function EditPipelineDialog({ pipeline, onClose, onRenamed }: Props) {
  const [name, setName] = useState(pipeline.name);
  const [stage, setStage] = useState("");
  const rename = usePipelineEdit(() => pipelinesApi.rename(pipeline.name, name), onRenamed);
  const usage = useQuery({
    queryKey: queryKeys.pipelineUsage(pipeline.name),
    queryFn: () => pipelinesApi.usage(pipeline.name),
  });
  const uses = usage.data ?? [];
  const add = usePipelineEdit(
    () => pipelinesApi.addStage(pipeline.name, stage),
    () => setStage(""),
  );
  return (
    <Dialog
      title={`Edit ${pipeline.name}`}
      description="Workflows name stages: a workflow that still uses an old name brings that stage back when it is activated."
      onClose={onClose}
      testId="edit-pipeline-dialog"
      footer={<Button onClick={onClose}>Done</Button>}
    >
      <Field label="Name" htmlFor="edit-pipeline-name" error={rename.error?.message}>
        <div className={styles.inline}>
          <input
            id="edit-pipeline-name"
            className={inputClass}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <Button onClick={() => rename.mutate(undefined)} disabled={!name.trim() || name.trim() === pipeline.name}>
            Rename
          </Button>
        </div>
      </Field>
      <h3 className={styles.dialogHeading}>Stages</h3>
      <ol className={styles.stageList}>
        {pipeline.stages.map((s, i) => (
          <StageRow
            key={`${s}-${i}`}
            pipeline={pipeline}
            stage={s}
            index={i}
            usedBy={uses.find((u) => u.stage !== null && same(u.stage, s))?.workflows ?? []}
          />
        ))}
      </ol>
      <StaleStages pipeline={pipeline} uses={uses} />
      <Field label="New stage" htmlFor="new-stage" error={add.error?.message}>
        <div className={styles.inline}>
          <input id="new-stage" className={inputClass} value={stage} onChange={(e) => setStage(e.target.value)} />
          <Button onClick={() => add.mutate(undefined)} disabled={!stage.trim()}>
            Add stage
          </Button>
        </div>
      </Field>
    </Dialog>
  );
}
