// The board's data: the pipelines, one pipeline's deals for the filters,
// and the move of a card — the contact page's own command
// (contactsApi.setDealStage: records deal.stage_changed and wakes the
// executor), applied to the cache at once and confirmed by a reload.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";

import { type ApiError, type BoardDeal, CHANGE_EVENT, contactsApi, pipelinesApi, queryKeys } from "@/api";
import { type BoardFilters, boardKey, boardQuery, moveLocally } from "@/core/board";
import { useTauriEvent } from "@/hooks";

export function useBoardDeals(filters: BoardFilters) {
  return useQuery<BoardDeal[], ApiError>({
    queryKey: queryKeys.boardDeals(boardKey(filters)),
    queryFn: () => pipelinesApi.deals(boardQuery(filters)),
    enabled: filters.pipeline !== "",
    // While a new filter loads, the cards stay; another pipeline's do not.
    placeholderData: (previous) => (previous?.[0] && previous[0].pipeline !== filters.pipeline ? undefined : previous),
  });
}

/** A move: which deal, to which stage. */
export type DealMove = { id: number; stage: string };

export function useMoveDeal(filters: BoardFilters) {
  const client = useQueryClient();
  const key = queryKeys.boardDeals(boardKey(filters));
  return useMutation<null, ApiError, DealMove, { before?: BoardDeal[] }>({
    mutationFn: ({ id, stage }) => contactsApi.setDealStage(id, stage),
    onMutate: async ({ id, stage }) => {
      await client.cancelQueries({ queryKey: key });
      const before = client.getQueryData<BoardDeal[]>(key);
      if (before) client.setQueryData(key, moveLocally(before, id, stage, new Date()));
      return { before };
    },
    onError: (_e, _m, ctx) => {
      if (ctx?.before) client.setQueryData(key, ctx.before);
    },
    onSettled: (_r, _e, { id }) => {
      const moved = client.getQueryData<BoardDeal[]>(key)?.find((d) => d.id === id);
      void client.invalidateQueries({ queryKey: queryKeys.board });
      if (moved) void client.invalidateQueries({ queryKey: queryKeys.contacts.one(moved.contact_id) });
    },
  });
}

/** The least time between two reloads the executor's changes cause. */
const LIVE_RELOAD_MS = 1000;

/**
 * Keeps the board current while the executor works: a workflow's step may
 * move a deal ("move deal" action), so steps and ended runs reload the
 * board — at most once a second, since a busy executor announces many
 * steps and a board of 10,000 deals is not worth reading for each.
 */
export function useLiveBoard() {
  const client = useQueryClient();
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  useTauriEvent(CHANGE_EVENT, (change) => {
    if ((change.type !== "step" && change.type !== "run_ended") || timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      void client.invalidateQueries({ queryKey: queryKeys.board });
    }, LIVE_RELOAD_MS);
  });
}
