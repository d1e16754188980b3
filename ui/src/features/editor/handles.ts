// Where a card's handles are before the page has drawn it (see StepNode
// for the card itself).

import { type NodeHandle, Position } from "@xyflow/react";

import { INPUT_HANDLE } from "@/core/editor/graph";
import { type Kind, isTrigger } from "@/core/editor/kinds";
import { NODE_SIZE } from "@/core/editor/layout";

/** The handles' size in StepNode.module.css (`.input`, `.output`). */
const HANDLE = 10;

/**
 * Where a card's handles are, from its usual size instead of the page.
 *
 * React Flow draws every node it knows no handle positions for once, to
 * measure them, even with only the nodes in view kept in the page: opening
 * a 500-node workflow drew and measured all 500 cards and then dropped all
 * but the few in view (docs/BENCHMARKS.md, "Editor"). Given these, it
 * draws only what is in view. A card that is drawn is measured as usual and
 * its measured handles replace these, so they only place the far ends of
 * edges to cards not drawn yet. Mirrors StepNode's card: the input in the
 * middle of the top edge, the exits spread evenly along the bottom edge.
 */
export function estimatedHandles(kind: Kind, exits: readonly string[]): NodeHandle[] {
  const { width, height } = NODE_SIZE;
  const at = (cx: number, cy: number) => ({ x: cx - HANDLE / 2, y: cy - HANDLE / 2, width: HANDLE, height: HANDLE });
  const handles: NodeHandle[] = exits.map((exit, i) => ({
    id: exit,
    type: "source",
    position: Position.Bottom,
    ...at(((i + 1) / (exits.length + 1)) * width, height),
  }));
  if (!isTrigger(kind)) handles.push({ id: INPUT_HANDLE, type: "target", position: Position.Top, ...at(width / 2, 0) });
  return handles;
}
