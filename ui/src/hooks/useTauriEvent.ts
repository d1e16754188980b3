// One hook for the shell's window events: listens while the component is
// mounted (and `enabled`), stops when it unmounts, and always calls the
// latest handler, so a handler that closes over props or state does not
// make it listen again on every render.

import { useEffect, useRef, useState } from "react";

import { type AppEvent, type AppEvents, subscribe } from "@/api";

type Options = {
  /** Listen only while true (default true). */
  enabled?: boolean;
  /**
   * Called once the listener is in place: read there what may have changed
   * before it was (nothing is missed between a first read and the listener).
   */
  onReady?: () => void;
};

/** Calls `handler` with each `event`'s payload; returns whether it is listening. */
export function useTauriEvent<E extends AppEvent>(event: E, handler: (payload: AppEvents[E]) => void, { enabled = true, onReady }: Options = {}): boolean {
  const latest = useRef({ handler, onReady });
  useEffect(() => {
    latest.current = { handler, onReady };
  });
  const [listening, setListening] = useState(false);
  useEffect(() => {
    if (!enabled) return;
    let stop: (() => void) | null = null;
    let gone = false;
    subscribe(event, (payload) => latest.current.handler(payload))
      .then((unlisten) => {
        if (gone) return unlisten();
        stop = unlisten;
        setListening(true);
        latest.current.onReady?.();
      })
      .catch(() => setListening(false));
    return () => {
      gone = true;
      stop?.();
      setListening(false);
    };
  }, [event, enabled]);
  return listening;
}
