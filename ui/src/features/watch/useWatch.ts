// The watch, read through react-query: asked again when the shell says a
// run moved (`cairn://change`, gathered into at most one read a second)
// and once a minute for the time left.

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";

import { type ApiError, CHANGE_EVENT, type WatchState, queryKeys, watchApi } from "@/api";
import { useTauriEvent } from "@/hooks";

const REFRESH_MS = 1000;
const EVERY_MS = 60_000;

function useRefreshOnChange(key: readonly unknown[], workflowId: number | null) {
  const client = useQueryClient();
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useTauriEvent(CHANGE_EVENT, (c) => {
    if (c.type !== "woke" && c.type !== "fault" && workflowId !== null && c.workflow_id !== workflowId) return;
    pending.current ??= setTimeout(() => {
      pending.current = null;
      void client.invalidateQueries({ queryKey: key });
    }, REFRESH_MS);
  });
  useEffect(
    () => () => {
      if (pending.current) clearTimeout(pending.current);
      pending.current = null;
    },
    [],
  );
}

/** Every watched workflow's watch, by workflow id. */
export function useWatches(): Map<number, WatchState> {
  const q = useQuery<WatchState[], ApiError>({ queryKey: queryKeys.watch.all, queryFn: watchApi.all, refetchInterval: EVERY_MS });
  useRefreshOnChange(queryKeys.watch.all, null);
  return new Map((q.data ?? []).map((w) => [w.workflow_id, w]));
}

/**
 * One workflow's watch, or null when it is not watched. `stamp` (its status
 * and version) reads it again at once after an activation or a save.
 */
export function useWatch(id: number, stamp: string): WatchState | null {
  const key = queryKeys.watch.one(id);
  const q = useQuery<WatchState | null, ApiError>({ queryKey: [...key, stamp], queryFn: () => watchApi.one(id), refetchInterval: EVERY_MS });
  useRefreshOnChange(key, id);
  return q.data ?? null;
}
