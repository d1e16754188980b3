import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { type ApiError, type BulkAction, type ContactQuery, contactsApi, pickContactsCsvPath, queryKeys } from "@/api";
import { Button, Dialog, Field, inputClass, selectClass } from "@/components";

import styles from "./Contacts.module.css";
import { type BulkChoice as Choice, bulkButtonText, numberFormat } from "./privacyText";

/**
 * One action on every contact the list's filters select, with the count
 * and a confirmation first. Export writes a CSV that spreadsheets open
 * safely (formula-like cells are prefixed with ').
 */
export function BulkDialog({ query, count, onClose }: { query: ContactQuery; count: number; onClose: () => void }) {
  const client = useQueryClient();
  const [choice, setChoice] = useState<Choice>("tag");
  const [tag, setTag] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const run = useMutation<string | null, ApiError>({
    mutationFn: async () => {
      if (choice === "export") {
        const path = await pickContactsCsvPath();
        if (!path) return null;
        const n = await contactsApi.exportCsv(query, path);
        return `${numberFormat.format(n)} contacts written to ${path}.`;
      }
      const action: BulkAction =
        choice === "tag" || choice === "untag" ? { action: choice, tag: tag.trim() } : { action: choice };
      const r = await contactsApi.bulk(query, action);
      return `Done: ${numberFormat.format(r.changed)} of ${numberFormat.format(r.selected)} contacts changed.`;
    },
    onSuccess: (message) => {
      if (message) setDone(message);
      void client.invalidateQueries({ queryKey: queryKeys.contacts.all });
    },
  });
  const needsTag = choice === "tag" || choice === "untag";
  return (
    <Dialog
      title="Bulk action"
      description={`Applies to the ${numberFormat.format(count)} contact${count === 1 ? "" : "s"} matching the current search and filters.`}
      onClose={onClose}
      testId="bulk-dialog"
      footer={
        done ? (
          <Button variant="primary" onClick={onClose}>
            Close
          </Button>
        ) : (
          <>
            <Button onClick={onClose}>Cancel</Button>
            <Button
              variant="primary"
              disabled={count === 0 || (needsTag && tag.trim() === "") || run.isPending}
              onClick={() => run.mutate()}
              data-testid="bulk-confirm"
            >
              {bulkButtonText(choice, count, tag)}
            </Button>
          </>
        )
      }
    >
      {done ? (
        <p role="status" data-testid="bulk-done">
          {done}
        </p>
      ) : (
        <>
          <Field label="Action" htmlFor="bulk-action">
            <select
              id="bulk-action"
              className={selectClass}
              value={choice}
              onChange={(e) => setChoice(e.target.value as Choice)}
              data-testid="bulk-action"
            >
              <option value="tag">Add a tag</option>
              <option value="untag">Remove a tag</option>
              <option value="unsubscribe">Unsubscribe</option>
              <option value="export">Export as CSV</option>
              <option value="erase">Erase (delete everything held about them)</option>
            </select>
          </Field>
          {needsTag && (
            <Field label="Tag" htmlFor="bulk-tag">
              <input
                id="bulk-tag"
                className={inputClass}
                value={tag}
                onChange={(e) => setTag(e.target.value)}
                data-testid="bulk-tag"
              />
            </Field>
          )}
          {choice === "erase" && (
            <p className={styles.inlineError} data-testid="bulk-erase-warning">
              Each contact, their fields, tags, deals, course access and consent log are removed for good, their open
              runs end and their pending sends are cancelled. Workflow figures stay right. This cannot be undone.
            </p>
          )}
        </>
      )}
      {run.error && <p className={styles.inlineError}>{run.error.message}</p>}
    </Dialog>
  );
}
