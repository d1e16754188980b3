import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";

import { type ApiError, type CatalogNames, type Report, type WorkflowDef, queryKeys, toApiError, workflowsApi } from "@/api";

/** How long the draft must stay still before it is validated again. */
export const VALIDATE_DELAY_MS = 300;

/**
 * The core's validation of the draft, asked for again (debounced) whenever
 * it changes. An answer to an older draft than the latest is dropped.
 */
export function useValidation(def: WorkflowDef, delay = VALIDATE_DELAY_MS) {
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [checking, setChecking] = useState(true);
  const asked = useRef(0);
  useEffect(() => {
    const ticket = ++asked.current;
    setChecking(true);
    const timer = setTimeout(() => {
      workflowsApi.validate(def).then(
        (r) => {
          if (ticket !== asked.current) return;
          setReport(r);
          setError(null);
          setChecking(false);
        },
        (e: unknown) => {
          if (ticket !== asked.current) return;
          setError(toApiError(e));
          setChecking(false);
        },
      );
    }, delay);
    return () => clearTimeout(timer);
  }, [def, delay]);
  return { report, error, checking };
}

/** What exists by name, for the pickers (fetched again when the editor opens). */
export function useCatalog() {
  return useQuery<CatalogNames, ApiError>({
    queryKey: queryKeys.catalog,
    queryFn: workflowsApi.catalog,
    staleTime: 0,
  });
}
