import { useState } from "react";

import { type Pipeline, pipelinesApi } from "@/api";
import { Button, Dialog, Field, inputClass } from "@/components";
import { parseStages } from "@/core/board";

import { usePipelineEdit } from "./usePipelineEdits";

/** Creates a pipeline: a name and its stages in order. */
export function NewPipelineDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (p: Pipeline) => void }) {
  const [name, setName] = useState("");
  const [stages, setStages] = useState("Lead\nQualified\nProposal\nWon\nLost");
  const add = usePipelineEdit(() => pipelinesApi.add(name, parseStages(stages)), onCreated);
  return (
    <Dialog
      title="New pipeline"
      description="A pipeline is the road a deal travels, one stage after another."
      onClose={onClose}
      testId="new-pipeline-dialog"
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            variant="primary"
            onClick={() => add.mutate(undefined)}
            disabled={add.isPending || !name.trim()}
            data-testid="create-pipeline"
          >
            Create pipeline
          </Button>
        </>
      }
    >
      <Field label="Name" htmlFor="pipeline-name" error={add.error?.message}>
        <input
          id="pipeline-name"
          className={inputClass}
          value={name}
          onChange={(e) => setName(e.target.value)}
          data-testid="pipeline-name"
        />
      </Field>
      <Field label="Stages" htmlFor="pipeline-stages" hint="One per line, in order.">
        <textarea
          id="pipeline-stages"
          className={inputClass}
          rows={6}
          value={stages}
          onChange={(e) => setStages(e.target.value)}
        />
      </Field>
    </Dialog>
  );
}
