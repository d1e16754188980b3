// One A/B split's results: per variant its runs, how they ended and the
// rate compared with the control, in the words the store wrote
// (`cairn_store::splits`), and the action that declares a winner — a new
// version of the workflow that sends every new run to it.

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { Badge, Button } from "@/components";
import { type ApiError, type SaveOutcome, type SplitResults, type VariantResult, analyticsApi } from "@/api";

import { count, percent } from "./figures";
import styles from "./Analytics.module.css";

type Props = { workflowId: number; split: SplitResults };

export function SplitResultsPanel({ workflowId, split }: Props) {
  const client = useQueryClient();
  const [asking, setAsking] = useState<string | null>(null);
  const declare = useMutation<SaveOutcome, ApiError, string>({
    mutationFn: (variant) => analyticsApi.declareWinner(workflowId, split.node, variant),
    onSuccess: () => {
      setAsking(null);
      void client.invalidateQueries({ queryKey: ["analytics"] });
    },
  });
  const conversion = split.metric === "conversion";
  const rate = (v: VariantResult) => (conversion ? v.conversion_rate : v.completion_rate);
  const name = split.label ?? split.node;
  return (
    <section className={styles.panel} data-testid="split-results" data-node={split.node}>
      <h2 className={styles.panelTitle}>A/B split: {name}</h2>
      <p className={styles.splitNote}>
        Compared on the {conversion ? "conversion rate (runs that reached a goal)" : "completion rate"} against the first variant, the control.
        {split.winner !== null && (
          <>
            {" "}
            <strong data-testid="split-winner">Winner: {split.winner}</strong> — every new run takes it
            {split.after_winner > 0 ? ` (${count(split.after_winner)} since, not counted below)` : ""}.
          </>
        )}
      </p>
      <table className={styles.table}>
        <thead>
          <tr>
            <th scope="col">Variant</th>
            <th scope="col" className={styles.numeric}>Weight</th>
            <th scope="col" className={styles.numeric}>Runs</th>
            <th scope="col" className={styles.numeric}>Completion</th>
            <th scope="col" className={styles.numeric}>Conversions</th>
            <th scope="col" className={styles.numeric}>{conversion ? "Conversion rate" : "Completion rate"}</th>
            <th scope="col">Against the control</th>
            <th scope="col">
              <span className={styles.visuallyHidden}>Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {split.variants.map((v) => (
            <tr key={v.variant} data-testid="split-variant" data-variant={v.variant}>
              <td>{v.variant}</td>
              <td className={styles.numeric}>{v.weight ?? "–"}</td>
              <td className={styles.numeric} data-testid="variant-runs">{count(v.runs)}</td>
              <td className={styles.numeric} title={`${count(v.completed)} completed of ${count(v.ended)} ended`}>
                {percent(v.completion_rate)}
              </td>
              <td className={styles.numeric} data-testid="variant-conversions">{count(v.conversions)}</td>
              <td className={styles.numeric} data-testid="variant-rate">{percent(rate(v))}</td>
              <td data-testid="variant-statement">
                <Verdict v={v} />
              </td>
              <td>
                {split.winner === v.variant ? (
                  <Badge tone="success" label="Winner" />
                ) : asking === v.variant ? (
                  <span className={styles.confirm}>
                    <Button variant="primary" disabled={declare.isPending} onClick={() => declare.mutate(v.variant)} data-testid="confirm-winner">
                      Send every new run to {v.variant}
                    </Button>
                    <Button onClick={() => setAsking(null)}>Cancel</Button>
                  </span>
                ) : (
                  <Button className={styles.declare} onClick={() => setAsking(v.variant)} data-testid="declare-winner">
                    Declare winner
                  </Button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {declare.data && (
        <p className={styles.splitNote} role="status" data-testid="winner-saved">
          {declare.data.new_version
            ? `Version ${declare.data.version} saved: every new run takes the winner. Runs already going stay on version ${declare.data.version - 1}.`
            : `Saved (version ${declare.data.version}): every run takes the winner.`}
        </p>
      )}
      {declare.error && (
        <p className={styles.splitError} role="alert">
          {declare.error.message}
        </p>
      )}
    </section>
  );
}

function Verdict({ v }: { v: VariantResult }) {
  const c = v.comparison;
  if (!c) return <span className={styles.muted}>control</span>;
  const tone = c.verdict === "better" ? "success" : c.verdict === "worse" ? "danger" : "neutral";
  const label = c.verdict === "better" ? "Better" : c.verdict === "worse" ? "Worse" : c.verdict === "not_significant" ? "Not significant" : "Too few runs";
  return (
    <span className={styles.verdict}>
      <Badge tone={tone} label={label} /> {v.statement}
    </span>
  );
}
