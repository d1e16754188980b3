// The guard against losing unsaved changes by leaving the editor (a link,
// the back button): it asks first while the draft has changes the database
// has not seen. Closing the window only hides it (Cairn keeps running in
// the tray), so nothing is lost there; for a quit or a crash the editor
// keeps the draft aside (see useKeptDraft) and offers it back.

import { useBlocker } from "react-router";

import { Button, Dialog } from "@/components";

type Props = { dirty: boolean; onSave: () => Promise<boolean>; onDiscard: () => void };

export function LeaveGuard({ dirty, onSave, onDiscard }: Props) {
  const blocker = useBlocker(({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname);
  if (blocker.state !== "blocked") return null;
  return (
    <Dialog
      title="Leave without saving?"
      description="This workflow has changes that are not saved yet."
      onClose={() => blocker.reset()}
      testId="leave-dialog"
      footer={
        <>
          <Button onClick={() => blocker.reset()} data-testid="leave-stay">
            Keep editing
          </Button>
          <Button
            onClick={() => {
              onDiscard();
              blocker.proceed();
            }}
            data-testid="leave-discard"
          >
            Discard changes
          </Button>
          <Button
            variant="primary"
            onClick={() =>
              void onSave().then((ok) => {
                if (ok) blocker.proceed();
                else blocker.reset();
              })
            }
            data-testid="leave-save"
          >
            Save and leave
          </Button>
        </>
      }
    >
      <p>They are lost if you leave now without saving.</p>
    </Dialog>
  );
}
