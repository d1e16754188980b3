import { QueryClientProvider } from "@tanstack/react-query";
import { useState } from "react";
import { createHashRouter, RouterProvider } from "react-router";

import { WakeNotice } from "@/features/housekeeping";

import { createQueryClient } from "./queryClient";
import { routes } from "./routes";

/** Providers and the router; the screens live in routes.tsx. */
export function App() {
  const [client] = useState(createQueryClient);
  const [router] = useState(() => createHashRouter(routes));
  return (
    <QueryClientProvider client={client}>
      <WakeNotice />
      <RouterProvider router={router} />
    </QueryClientProvider>
  );
}
