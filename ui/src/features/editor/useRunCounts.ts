// The live runs' counts per node for the canvas badges, asked for only
// while "Show run counts" is on, and asked again when the shell says a run
// of this workflow moved (`cairn://change`), so the badges follow the
// executor without polling. A busy executor sends hundreds of changes a
// second: they are gathered into at most one read per REFRESH_MS.

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef } from "react";

import { CHANGE_EVENT, type NodeCounts, queryKeys, testRunsApi } from "@/api";
import { useTauriEvent } from "@/hooks";

/** The longest the badges lag behind the executor. */
export const REFRESH_MS = 1000;

/** The counts by node id while `on`, else null; and why they could not be read. */
export function useRunCounts(workflow: string, workflowId: number, on: boolean): { counts: Map<string, NodeCounts> | null; error: string | null } {
  const client = useQueryClient();
  const key = useMemo(() => queryKeys.nodeCounts(workflow), [workflow]);
  const q = useQuery({ queryKey: key, queryFn: () => testRunsApi.nodeCounts(workflow), enabled: on });

  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useTauriEvent(
    CHANGE_EVENT,
    (c) => {
      if (c.type === "fault" || (c.type !== "woke" && c.workflow_id !== workflowId)) return;
      pending.current ??= setTimeout(() => {
        pending.current = null;
        void client.invalidateQueries({ queryKey: key });
      }, REFRESH_MS);
    },
    { enabled: on },
  );
  // A read gathered for a workflow no longer shown, or after the badges went off, is dropped.
  useEffect(
    () => () => {
      if (pending.current) clearTimeout(pending.current);
      pending.current = null;
    },
    [on, workflowId, key],
  );

  const counts = useMemo(() => (on && q.data ? new Map(q.data.map((n) => [n.node, n])) : null), [on, q.data]);
  return { counts, error: on && q.error ? q.error.message : null };
}
