import { Compass } from "lucide-react";
import { Link } from "react-router";

import { EmptyState, PageHeader } from "@/components";

/** Shown for an address no screen answers to. */
export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Not found" />
      <EmptyState icon={Compass} title="There is no screen here">
        <p>
          Go back to your <Link to="/workflows">workflows</Link>.
        </p>
      </EmptyState>
    </>
  );
}
