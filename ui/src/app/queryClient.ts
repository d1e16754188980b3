import { QueryClient } from "@tanstack/react-query";

/**
 * Commands are local: a failure (a newer database, a bad file) will not heal
 * by retrying at once, so errors show immediately with a "Try again" button.
 */
export function createQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: false, refetchOnWindowFocus: true, staleTime: 5_000 },
      mutations: { retry: false },
    },
  });
}
