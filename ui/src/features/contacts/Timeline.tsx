import { ChevronDown, ChevronRight, CircleDot, Play } from "lucide-react";
import { useState } from "react";
import { Link } from "react-router";

import type { ApiError, Event, Run } from "@/api";
import { Badge, ErrorPanel, selectClass } from "@/components";
import { formatRelative } from "@/core/time";
import { describeStep } from "@/core/stepDetail";
import { type TimelineEntry, describeEvent, entryTypes, filterEntries, mergeTimeline } from "@/core/timeline";
import { LateNote } from "@/features/housekeeping";

import styles from "./Contacts.module.css";
import { runTone, stepTone } from "./status";
import { useSteps } from "./useContact";

/** A run's steps, each with its status and what it recorded. */
export function StepList({ run }: { run: Run }) {
  const steps = useSteps(run.id, true);
  if (steps.isPending) return <p className={styles.muted}>Loading steps…</p>;
  if (steps.error) return <ErrorPanel title="The steps could not be loaded" error={steps.error} />;
  return (
    <ol className={styles.steps} data-testid="run-steps">
      {steps.data.map((s) => {
        const detail = describeStep(s);
        return (
          <li key={s.id} className={styles.step} data-testid="run-step">
            <Badge tone={stepTone[s.status]} label={s.status} />
            <span className={styles.stepNode}>{s.node_id}</span>
            <span className={styles.muted}>{s.kind.replace(/^(action|trigger|flow)\./, "")}</span>
            {s.attempts > 1 && <span className={styles.muted}>{s.attempts} attempts</span>}
            <LateNote step={s} />
            {detail && (
              <span className={s.status === "failed" ? styles.stepError : styles.stepDetail} data-testid="step-detail">
                {detail}
              </span>
            )}
          </li>
        );
      })}
      {steps.data.length === 0 && <li className={styles.muted}>No steps yet.</li>}
    </ol>
  );
}

export function RunEntry({ run, now, showContact }: { run: Run; now: Date; showContact?: boolean }) {
  const [open, setOpen] = useState(false);
  return (
    <li className={styles.entry} data-testid="timeline-run">
      <button type="button" className={styles.entryButton} onClick={() => setOpen(!open)} aria-expanded={open}>
        {open ? <ChevronDown size={16} aria-hidden /> : <ChevronRight size={16} aria-hidden />}
        <Play size={14} className={styles.entryIcon} aria-hidden />
        <span className={styles.entryTitle}>
          Run of <strong>{run.workflow}</strong> v{run.version}
          {showContact && <> for {run.contact_email}</>}
        </span>
        <Badge tone={runTone[run.status]} label={run.status} />
        {run.mode !== "live" && <Badge tone="accent" label={run.mode.replace("_", " ")} />}
        {run.exit_reason && <span className={styles.muted}>{run.exit_reason}</span>}
        <span className={styles.entryTime} title={run.started_at}>
          {formatRelative(run.started_at, now)}
        </span>
      </button>
      {open && (
        <>
          <Link to={`/runs/${run.id}`} className={styles.runLink} data-testid="open-run">
            Open run {run.id}
          </Link>
          <StepList run={run} />
        </>
      )}
    </li>
  );
}

export function EventEntry({
  event,
  now,
  contact,
}: {
  event: Event;
  now: Date;
  /** Shown (as a link to the contact) in the activity log. */
  contact?: { id: number; email: string };
}) {
  const text = describeEvent(event);
  return (
    <li className={styles.entry} data-testid="timeline-event">
      <div className={styles.entryRow}>
        <CircleDot size={14} className={styles.entryIcon} aria-hidden />
        <code className={styles.eventType} data-testid="event-type">
          {event.type}
        </code>
        {contact && (
          <Link to={`/contacts/${contact.id}`} className={styles.entryContact}>
            {contact.email}
          </Link>
        )}
        {text && <span className={styles.entryText}>{text}</span>}
        {event.source !== "cairn" && <span className={styles.muted}>from {event.source}</span>}
        <span className={styles.entryTime} title={event.occurred_at}>
          {formatRelative(event.occurred_at, now)}
        </span>
      </div>
    </li>
  );
}

type Props = {
  events: Event[] | undefined;
  runs: Run[] | undefined;
  error: ApiError | null;
  now: Date;
};

/** A contact's events and runs, newest first; a run opens to its steps. */
export function Timeline({ events, runs, error, now }: Props) {
  const [type, setType] = useState("");
  if (error) return <ErrorPanel title="The timeline could not be loaded" error={error} />;
  if (!events || !runs) return <p className={styles.muted}>Loading the timeline…</p>;
  const all: TimelineEntry[] = mergeTimeline(events, runs);
  const shown = filterEntries(all, type);
  return (
    <div className={styles.timeline}>
      <div className={styles.sectionHead}>
        <h2>Timeline</h2>
        <select
          className={selectClass}
          aria-label="Show"
          value={type}
          onChange={(e) => setType(e.target.value)}
          data-testid="timeline-filter"
        >
          <option value="">Everything</option>
          {entryTypes(all).map((t) => (
            <option key={t} value={t}>
              {t === "run" ? "Runs" : t}
            </option>
          ))}
        </select>
      </div>
      {shown.length === 0 ? (
        <p className={styles.muted}>Nothing has happened to this contact yet.</p>
      ) : (
        <ul className={styles.entries} data-testid="timeline">
          {shown.map((e) =>
            e.kind === "run" ? (
              <RunEntry key={e.key} run={e.run} now={now} />
            ) : (
              <EventEntry key={e.key} event={e.event} now={now} />
            ),
          )}
        </ul>
      )}
    </div>
  );
}
