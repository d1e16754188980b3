// The customer-experience number: the workflow's downstream event
// (settings.experience_event) per contact, for contacts who went through
// the workflow and for the others, over the range shown. Defined in
// docs/analytics.md ("Customer experience").

import { useQuery } from "@tanstack/react-query";

import { type ApiError, type ExperienceGroup, type ExperienceNumber, queryKeys, watchApi } from "@/api";

import { count } from "./figures";
import styles from "./Analytics.module.css";

function rate(r: number | null): string {
  return r === null ? "–" : count(r, 2);
}

function Row({ label, g, testId }: { label: string; g: ExperienceGroup; testId: string }) {
  return (
    <tr data-testid={testId}>
      <td>{label}</td>
      <td className={styles.numeric}>{rate(g.per_contact)}</td>
      <td className={styles.numeric}>{rate(g.per_contact_per_30_days)}</td>
      <td className={styles.numeric}>{count(g.events)}</td>
      <td className={styles.numeric}>{count(g.contacts)}</td>
      <td className={styles.numeric}>{count(g.contacts_with_event)}</td>
    </tr>
  );
}

export function ExperienceTable({ number: n }: { number: ExperienceNumber }) {
  return (
    <section className={styles.panel} data-testid="experience">
      <h2 className={styles.panelTitle}>Customer experience: {n.event_type} per contact</h2>
      <table className={styles.table}>
        <thead>
          <tr>
            <th scope="col">Contacts</th>
            <th scope="col" className={styles.numeric} title="Events ÷ contacts">
              Per contact
            </th>
            <th scope="col" className={styles.numeric} title="Events ÷ days each contact was counted × 30">
              Per 30 days
            </th>
            <th scope="col" className={styles.numeric}>Events</th>
            <th scope="col" className={styles.numeric}>Contacts</th>
            <th scope="col" className={styles.numeric}>With one</th>
          </tr>
        </thead>
        <tbody>
          <Row label="Went through the workflow" g={n.through} testId="experience-through" />
          <Row label="Did not" g={n.others} testId="experience-others" />
        </tbody>
      </table>
      <p className={styles.of}>
        Contacts who went through are counted from their first run in the range, without the events that started their
        runs; the others over the whole range (or since they were added).
      </p>
    </section>
  );
}

/** Reads the number for the range the screen shows; nothing when the workflow names no event. */
export function ExperiencePanel({ id, since, until }: { id: number; since: string; until: string }) {
  const q = useQuery<ExperienceNumber | null, ApiError>({
    queryKey: queryKeys.analytics.experience(id, since, until),
    queryFn: () => watchApi.experience(id, since, until),
  });
  return q.data ? <ExperienceTable number={q.data} /> : null;
}
