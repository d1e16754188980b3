import { Hourglass } from "lucide-react";

import { EmptyState, PageHeader } from "@/components";

import type { NavItem } from "./nav";

/** The honest page of a screen that is not built yet: what it will do. */
export function ComingSoonPage({ item }: { item: NavItem }) {
  return (
    <>
      <PageHeader title={item.label} description={item.purpose} />
      <EmptyState icon={Hourglass} title={`${item.label} is coming`} testId="coming-soon">
        <p>This screen is not in this build of Cairn yet. Nothing is lost meanwhile: your data stays in the database on this laptop.</p>
      </EmptyState>
    </>
  );
}
