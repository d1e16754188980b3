// Editing pipelines and stages: each edit is one command returning the
// pipeline as it now is; the pipeline list (shared with the contact page)
// and the board reload after it.

import { useMutation, useQueryClient } from "@tanstack/react-query";

import { type ApiError, type Pipeline, queryKeys } from "@/api";

/** A mutation over one pipeline edit, reloading pipelines and deals after. */
export function usePipelineEdit<A>(edit: (args: A) => Promise<Pipeline>, onDone?: (p: Pipeline) => void) {
  const client = useQueryClient();
  return useMutation<Pipeline, ApiError, A>({
    mutationFn: edit,
    onSuccess: (p) => {
      void client.invalidateQueries({ queryKey: queryKeys.contacts.pipelines });
      void client.invalidateQueries({ queryKey: queryKeys.board });
      onDone?.(p);
    },
  });
}
