import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Activity, Radio } from "lucide-react";
import { useState } from "react";
import { Link } from "react-router";

import { type ActivityEvent, type ApiError, CHANGE_EVENT, type Run, activityApi, queryKeys } from "@/api";
import { EmptyState, ErrorPanel, PageHeader, selectClass } from "@/components";
import { entryTypes, filterEntries, mergeTimeline } from "@/core/timeline";
import { EventEntry, RunEntry } from "@/features/contacts";
import { useTauriEvent } from "@/hooks";

import styles from "./Activity.module.css";

const EVENTS = 300;
const RUNS = 150;

/** Reloads the log whenever the engine reports a run or step change. */
function useLiveUpdates() {
  const client = useQueryClient();
  return useTauriEvent(CHANGE_EVENT, () => {
    void client.invalidateQueries({ queryKey: queryKeys.activity.all });
    void client.invalidateQueries({ queryKey: queryKeys.runs });
  });
}

/** The Activity screen: the latest events and runs of every workflow, newest first. */
export function ActivityPage() {
  const live = useLiveUpdates();
  const [type, setType] = useState("");
  // Events from polled accounts arrive without a run change: look again now and then too.
  const events = useQuery<ActivityEvent[], ApiError>({
    queryKey: queryKeys.activity.events,
    queryFn: () => activityApi.events(EVENTS),
    refetchInterval: 15_000,
  });
  const runs = useQuery<Run[], ApiError>({
    queryKey: queryKeys.activity.runs,
    queryFn: () => activityApi.runs(RUNS),
    refetchInterval: 15_000,
  });
  const now = new Date();
  const error = events.error ?? runs.error;
  const all = events.data && runs.data ? mergeTimeline(events.data.map((e) => e.event), runs.data) : null;
  const emailOf = new Map(events.data?.map((e) => [e.event.id, e.contact_email]) ?? []);
  const shown = all ? filterEntries(all, type) : null;

  return (
    <>
      <PageHeader
        title="Activity"
        description="What happened to your contacts and what your workflows did about it, newest first."
        actions={
          live ? (
            <span className={styles.live} data-testid="activity-live">
              <Radio size={14} aria-hidden /> Live
            </span>
          ) : undefined
        }
      />
      {error && (
        <ErrorPanel
          title="The activity could not be loaded"
          error={error}
          onRetry={() => {
            void events.refetch();
            void runs.refetch();
          }}
        />
      )}
      {!all && !error && (
        <p role="status" className={styles.muted}>
          Loading activity…
        </p>
      )}
      {all && all.length === 0 && (
        <EmptyState icon={Activity} title="Nothing has happened yet" testId="activity-empty">
          <p>
            Events (a signup, a purchase, a tag) and the runs they start appear here as they happen. Import contacts on
            the <Link to="/contacts">Contacts</Link> screen or connect a service on <Link to="/accounts">Accounts</Link>{" "}
            to get going.
          </p>
        </EmptyState>
      )}
      {all && all.length > 0 && shown && (
        <section className={styles.card}>
          <div className={styles.toolbar}>
            <select
              className={selectClass}
              aria-label="Show"
              value={type}
              onChange={(e) => setType(e.target.value)}
              data-testid="activity-filter"
            >
              <option value="">Everything</option>
              {entryTypes(all).map((t) => (
                <option key={t} value={t}>
                  {t === "run" ? "Runs" : t}
                </option>
              ))}
            </select>
            <span className={styles.muted}>
              The latest {EVENTS} events and {RUNS} runs
            </span>
          </div>
          {shown.length === 0 ? (
            <p className={styles.muted}>Nothing of this type among the latest activity.</p>
          ) : (
            <ul className={styles.entries} data-testid="activity-list">
              {shown.map((e) =>
                e.kind === "run" ? (
                  <RunEntry key={e.key} run={e.run} now={now} showContact />
                ) : (
                  <EventEntry
                    key={e.key}
                    event={e.event}
                    now={now}
                    contact={
                      e.event.contact_id !== null
                        ? { id: e.event.contact_id, email: emailOf.get(e.event.id) ?? `contact ${e.event.contact_id}` }
                        : undefined
                    }
                  />
                ),
              )}
            </ul>
          )}
        </section>
      )}
    </>
  );
}
