import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { type ApiError, type Contact, type ErasureReport, contactsApi, queryKeys } from "@/api";
import { Button, Dialog, ErrorPanel } from "@/components";

import styles from "./Contacts.module.css";
import { erasureLines } from "./privacyText";

/**
 * Confirms erasing a contact: says what goes (the store's own count) before
 * anything is removed, then erases and hands control back (`onErased`).
 */
export function EraseDialog({ contact, onClose, onErased }: { contact: Contact; onClose: () => void; onErased: () => void }) {
  const client = useQueryClient();
  const preview = useQuery<ErasureReport, ApiError>({
    queryKey: queryKeys.contacts.erasurePreview(contact.id),
    queryFn: () => contactsApi.erasurePreview(contact.id),
  });
  const erase = useMutation<ErasureReport, ApiError>({
    mutationFn: () => contactsApi.erase(contact.id),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: queryKeys.contacts.all });
      onErased();
    },
  });
  const lines = preview.data ? erasureLines(preview.data) : null;
  return (
    <Dialog
      title={`Erase ${contact.email}?`}
      description="Everything Cairn holds about this person is removed for good, from the database file too. This cannot be undone."
      onClose={onClose}
      testId="erase-dialog"
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            variant="primary"
            disabled={!lines || erase.isPending}
            onClick={() => erase.mutate()}
            data-testid="erase-confirm"
          >
            {erase.isPending ? "Erasing…" : "Erase for good"}
          </Button>
        </>
      }
    >
      {preview.error && <ErrorPanel title="What would be erased could not be counted" error={preview.error} />}
      {!lines && !preview.error && (
        <p role="status" className={styles.muted}>
          Counting what would be erased…
        </p>
      )}
      {lines && (
        <div data-testid="erase-summary">
          <p>What goes:</p>
          <ul>
            {lines.goes.map((l) => (
              <li key={l}>{l}</li>
            ))}
          </ul>
          {lines.ends.length > 0 && (
            <ul>
              {lines.ends.map((l) => (
                <li key={l}>{l}</li>
              ))}
            </ul>
          )}
          <p className={styles.muted}>
            Workflow figures stay right: runs and sends remain counted, with nothing personal left in them. If this
            email arrives again (an import, a sync, a form), the contact comes back unsubscribed unless you
            re-subscribe them on purpose. Backups made before now still hold the contact.
          </p>
        </div>
      )}
      {erase.error && <p className={styles.inlineError}>{erase.error.message}</p>}
    </Dialog>
  );
}
