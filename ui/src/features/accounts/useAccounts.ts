import { useQuery, useQueryClient } from "@tanstack/react-query";

import { accountsApi, queryKeys } from "@/api";
import type { AccountView, ApiError } from "@/api";


export function useAccounts() {
  return useQuery<AccountView[], ApiError>({ queryKey: queryKeys.accounts, queryFn: accountsApi.list });
}

export function useRefreshAccounts() {
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: queryKeys.accounts });
}
