import { useQuery } from "@tanstack/react-query";

import { type ApiError, type ConsentEntry, contactsApi, queryKeys } from "@/api";
import { ErrorPanel } from "@/components";
import { formatRelative } from "@/core/time";

import styles from "./Contacts.module.css";
import { consentLine } from "./privacyText";

/** How the contact's subscription began and changed, oldest first. */
export function Consent({ contactId }: { contactId: number }) {
  const log = useQuery<ConsentEntry[], ApiError>({
    queryKey: queryKeys.contacts.consent(contactId),
    queryFn: () => contactsApi.consent(contactId),
  });
  const now = new Date();
  return (
    <section className={styles.card} data-testid="consent">
      <div className={styles.sectionHead}>
        <h2>Consent</h2>
      </div>
      {log.error && <ErrorPanel title="The consent log could not be loaded" error={log.error} />}
      {log.data?.length === 0 && <p className={styles.muted}>Nothing recorded.</p>}
      <ul className={styles.deals}>
        {log.data?.map((e, i) => (
          <li key={i} className={styles.deal} data-testid="consent-entry">
            <div>
              <div className={styles.dealTitle}>{consentLine(e)}</div>
              <div className={styles.muted} title={e.at}>
                {formatRelative(e.at, now)}
              </div>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
