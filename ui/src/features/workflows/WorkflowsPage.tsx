import { Workflow } from "lucide-react";

import { EmptyState, ErrorPanel, PageHeader } from "@/components";

import { useWorkflows } from "./useWorkflows";
import { WorkflowTable } from "./WorkflowTable";
import styles from "./WorkflowsPage.module.css";

/** The Workflows screen: every workflow in the database and its status. */
export function WorkflowsPage() {
  const { data, error, isPending, refetch } = useWorkflows();

  return (
    <>
      <PageHeader
        title="Workflows"
        description="Your automations: a trigger, then the steps Cairn takes for each contact."
      />
      {isPending && (
        <p className={styles.loading} role="status">
          Loading workflows…
        </p>
      )}
      {error && (
        <ErrorPanel
          title="The workflows could not be loaded"
          error={error}
          onRetry={() => void refetch()}
        />
      )}
      {data && data.length === 0 && (
        <EmptyState icon={Workflow} title="No workflows yet" testId="workflows-empty">
          <p>
            A workflow welcomes a new subscriber, reminds a client before a call or follows up after
            a purchase, running from this laptop.
          </p>
          <p>
            Import a workflow file from a terminal with <code>cairn workflow import FILE</code>: it
            appears here, paused until you activate it. Starting from a template and drawing on the
            canvas are coming to this screen next.
          </p>
        </EmptyState>
      )}
      {data && data.length > 0 && <WorkflowTable workflows={data} now={new Date()} />}
    </>
  );
}
