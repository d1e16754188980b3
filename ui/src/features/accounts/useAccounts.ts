import { useQuery, useQueryClient } from "@tanstack/react-query";

import { accountsApi } from "@/api";
import type { AccountView, ApiError } from "@/api";

export const accountsKey = ["accounts"] as const;

export function useAccounts() {
  return useQuery<AccountView[], ApiError>({ queryKey: accountsKey, queryFn: accountsApi.list });
}

export function useRefreshAccounts() {
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: accountsKey });
}
