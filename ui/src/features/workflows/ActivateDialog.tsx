import { useQuery } from "@tanstack/react-query";
import { Play, TriangleAlert } from "lucide-react";
import { useEffect, useRef, useState } from "react";

import { Button, Dialog, ErrorPanel } from "@/components";
import { type ApiError, type Forecast, type ForecastCounts, type WorkflowDef, queryKeys, workflowsApi } from "@/api";

import styles from "./ActivateDialog.module.css";

/** The horizon the dialog asks for; its tabs are the forecast's windows (1, 7, 30 days). */
export const FORECAST_DAYS = 30;

type Row = { label: string; value: number; testId: string };

const OTHER: [string, keyof ForecastCounts][] = [
  ["Emails refused (unsubscribed or bounced)", "emails_refused"],
  ["Tags added", "tags_added"],
  ["Tags removed", "tags_removed"],
  ["Fields set", "fields_set"],
  ["Deals created or moved", "deals"],
  ["Course enrollments", "course_enrollments"],
  ["Course unenrollments", "course_unenrollments"],
  ["Webhooks", "webhooks"],
  ["Team notifications", "notifications"],
  ["Runs started in other workflows", "workflows_started"],
  ["Removed from other workflows", "workflows_removed"],
  ["Unsubscribes", "unsubscribes"],
  ["Steps that would fail", "failures"],
];

/** The lines of one window: runs and emails always, the rest when not zero. */
function rows(c: ForecastCounts): Row[] {
  const out: Row[] = [
    { label: "Runs started", value: c.runs_started, testId: "forecast-runs" },
    { label: "Emails", value: c.emails_total, testId: "forecast-emails" },
  ];
  for (const [template, n] of Object.entries(c.emails)) {
    out.push({ label: `“${template}”`, value: n ?? 0, testId: "forecast-template" });
  }
  for (const [label, key] of OTHER) {
    const value = c[key];
    if (typeof value === "number" && value > 0) out.push({ label, value, testId: `forecast-${key}` });
  }
  return out;
}

const plural = (n: number, word: string) => `${n.toLocaleString("en-GB")} ${word}${n === 1 ? "" : "s"}`;

/**
 * Activation, with the forecast first: what the workflow would do to the
 * real contacts over the next 1, 7 and 30 days (worked out by the engine on
 * a copy of the database; nothing is sent), the assumptions it makes, and
 * where the runs would end with a few contacts each. When the forecast
 * emails much of the list at once or unsubscribes anyone, activating needs
 * the box ticked. A workflow that does not validate is handed back
 * (`onRefused`) so the caller shows its errors as before. With a `draft`
 * (the editor saving changes to an active workflow), the forecast is of
 * the draft as the next version, and the button saves.
 */
export function ActivateDialog({
  name,
  draft,
  onActivate,
  onRefused,
  onClose,
  pending,
}: {
  name: string;
  draft?: WorkflowDef;
  onActivate: () => void;
  onRefused: () => void;
  onClose: () => void;
  pending: boolean;
}) {
  const query = useQuery<Forecast, ApiError>({
    queryKey: [...queryKeys.forecast(name, FORECAST_DAYS), draft ? "draft" : "saved"],
    queryFn: () => workflowsApi.forecast(name, FORECAST_DAYS, draft ?? null),
    staleTime: 0,
    gcTime: 0,
  });
  const refused = query.error?.code === "validation_failed";
  const handedBack = useRef(false);
  useEffect(() => {
    if (refused && !handedBack.current) {
      handedBack.current = true;
      onRefused();
    }
  }, [refused, onRefused]);
  const [tab, setTab] = useState(0);
  const [confirmed, setConfirmed] = useState(false);
  const f = query.data;
  const needsConfirm = (f?.confirm.length ?? 0) > 0;
  const window = f?.windows[Math.min(tab, (f?.windows.length ?? 1) - 1)];

  return (
    <Dialog
      title={draft ? `Save the changes to “${name}”?` : `Activate “${name}”?`}
      description={
        draft
          ? "It is active: new runs take the new version at once. First, what it would do to your contacts — worked out on a copy of your data; nothing is sent."
          : "First, what it would do to your contacts — worked out on a copy of your data; nothing is sent."
      }
      onClose={onClose}
      testId="activate-dialog"
      wide
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            variant="primary"
            onClick={onActivate}
            disabled={pending || !f || (needsConfirm && !confirmed)}
            data-testid="activate-confirm"
          >
            {draft ? (
              "Save"
            ) : (
              <>
                <Play size={16} aria-hidden /> Activate
              </>
            )}
          </Button>
        </>
      }
    >
      {query.isPending && (
        <p className={styles.muted} role="status" data-testid="forecast-loading">
          Working out the next {FORECAST_DAYS} days…
        </p>
      )}
      {query.error && !refused && <ErrorPanel title="The forecast could not be worked out" error={query.error} />}
      {f && window && (
        <div data-testid="forecast">
          <div className={styles.tabs} role="tablist" aria-label="Forecast span">
            {f.windows.map((w, i) => (
              <button
                key={w.days}
                type="button"
                role="tab"
                aria-selected={i === tab}
                className={i === tab ? styles.tabOn : styles.tab}
                onClick={() => setTab(i)}
                data-testid="forecast-tab"
              >
                {w.days === 1 ? "Next day" : `Next ${w.days} days`}
              </button>
            ))}
          </div>
          <table className={styles.counts}>
            <tbody>
              {rows(window.counts).map((r, i) => (
                <tr key={i} data-testid={r.testId}>
                  <th scope="row" className={r.testId === "forecast-template" ? styles.sub : undefined}>
                    {r.label}
                  </th>
                  <td>{r.value.toLocaleString("en-GB")}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {f.paths.length > 0 && (
            <>
              <h3 className={styles.heading}>Where the runs stand after {plural(f.days, "day")}</h3>
              <ul className={styles.paths}>
                {f.paths.map((p, i) => (
                  <li key={i} data-testid="forecast-path">
                    <strong>{plural(p.runs, "run")}</strong> {p.status}
                    {p.node && ` at ${p.label ?? p.node}`}
                    {p.reason && `: ${p.reason}`}
                    {p.sample.length > 0 && <span className={styles.muted}> — e.g. {p.sample.join(", ")}</span>}
                  </li>
                ))}
              </ul>
            </>
          )}
          <details className={styles.assumptions}>
            <summary>What the forecast assumes</summary>
            <ul>
              {f.assumptions.map((a, i) => (
                <li key={i}>{a}</li>
              ))}
            </ul>
          </details>
          {needsConfirm && (
            <div className={styles.warning} role="alert" data-testid="forecast-confirm">
              {f.confirm.map((c) => (
                <p key={c.code}>
                  <TriangleAlert size={16} aria-hidden /> {c.message.charAt(0).toUpperCase() + c.message.slice(1)}.
                </p>
              ))}
              <label>
                <input
                  type="checkbox"
                  checked={confirmed}
                  onChange={(e) => setConfirmed(e.target.checked)}
                  data-testid="forecast-confirm-box"
                />{" "}
                I have read the forecast and want to {draft ? "save" : "activate"} it anyway
              </label>
            </div>
          )}
        </div>
      )}
    </Dialog>
  );
}
