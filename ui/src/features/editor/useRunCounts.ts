// The live runs' counts per node for the canvas badges, asked for only
// while "Show run counts" is on, and asked again when the shell says a run
// of this workflow moved (`cairn://change`), so the badges follow the
// executor without polling. A busy executor sends hundreds of changes a
// second: they are gathered into at most one read per REFRESH_MS.

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo } from "react";

import { type NodeCounts, activityApi, testRunsApi } from "@/api";

/** The longest the badges lag behind the executor. */
export const REFRESH_MS = 1000;

/** The counts by node id while `on`, else null; and why they could not be read. */
export function useRunCounts(workflow: string, workflowId: number, on: boolean): { counts: Map<string, NodeCounts> | null; error: string | null } {
  const client = useQueryClient();
  const key = useMemo(() => ["node-counts", workflow] as const, [workflow]);
  const q = useQuery({ queryKey: key, queryFn: () => testRunsApi.nodeCounts(workflow), enabled: on });

  useEffect(() => {
    if (!on) return;
    let stop: (() => void) | null = null;
    let gone = false;
    let pending: ReturnType<typeof setTimeout> | null = null;
    activityApi
      .onChange((c) => {
        if (c.type === "fault" || (c.type !== "woke" && c.workflow_id !== workflowId)) return;
        pending ??= setTimeout(() => {
          pending = null;
          void client.invalidateQueries({ queryKey: key });
        }, REFRESH_MS);
      })
      .then((s) => (gone ? s() : (stop = s)))
      .catch(() => undefined);
    return () => {
      gone = true;
      if (pending) clearTimeout(pending);
      stop?.();
    };
  }, [on, workflowId, client, key]);

  const counts = useMemo(() => (on && q.data ? new Map(q.data.map((n) => [n.node, n])) : null), [on, q.data]);
  return { counts, error: on && q.error ? q.error.message : null };
}
