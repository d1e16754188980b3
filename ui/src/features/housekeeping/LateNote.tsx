// The late note of a step ("fired 3 h late"), for a contact's timeline and
// the editor's run view. Renders nothing for a step that was on time.

import type { Step } from "@/bindings";
import { Badge } from "@/components";
import { lateNoteOf } from "@/core/stepDetail";

export function LateNote({ step }: { step: Pick<Step, "detail" | "status"> }) {
  const note = lateNoteOf(step);
  if (!note) return null;
  return (
    <span data-testid="late-note" title="This wait fell due while Cairn was asleep or closed">
      <Badge tone="warning" label={note} />
    </span>
  );
}
