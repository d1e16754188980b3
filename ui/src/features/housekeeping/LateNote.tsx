// The late note of a step ("fired 3 h late"), for the activity log, a
// contact's timeline and the run views. Renders nothing for a step that was
// on time.

import { Badge } from "@/components";
import { lateNote } from "@/core/background";

type Props = {
  /** The step's `detail` as the engine recorded it. */
  detail: unknown;
  /** The step's status ("skipped" for a wait its late policy skipped). */
  status?: string;
};

export function LateNote({ detail, status }: Props) {
  const note = lateNote(detail, status);
  if (!note) return null;
  return (
    <span data-testid="late-note" title="This wait fell due while Cairn was asleep or closed">
      <Badge tone="warning" label={note} />
    </span>
  );
}
