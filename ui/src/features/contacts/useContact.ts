import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";

import { activityApi, contactsApi } from "@/api";
import type { ApiError, Contact, Deal, Enrollment, Event, Pipeline, Run, Step } from "@/api";

import { contactsKey } from "./useContacts";

const one = (id: number) => [...contactsKey, "one", id] as const;

export function useContact(id: number) {
  return useQuery<Contact, ApiError>({ queryKey: [...one(id), "contact"], queryFn: () => contactsApi.get(id) });
}

export function useDeals(id: number) {
  return useQuery<Deal[], ApiError>({ queryKey: [...one(id), "deals"], queryFn: () => contactsApi.deals(id) });
}

export function usePipelines() {
  return useQuery<Pipeline[], ApiError>({ queryKey: [...contactsKey, "pipelines"], queryFn: contactsApi.pipelines });
}

export function useEnrollments(id: number) {
  return useQuery<Enrollment[], ApiError>({
    queryKey: [...one(id), "enrollments"],
    queryFn: () => contactsApi.enrollments(id),
  });
}

export function useCourses() {
  return useQuery<string[], ApiError>({ queryKey: [...contactsKey, "courses"], queryFn: contactsApi.courses });
}

export function useTimeline(id: number) {
  const events = useQuery<Event[], ApiError>({ queryKey: [...one(id), "events"], queryFn: () => contactsApi.events(id) });
  const runs = useQuery<Run[], ApiError>({ queryKey: [...one(id), "runs"], queryFn: () => contactsApi.runs(id) });
  return { events, runs };
}

export function useSteps(runId: number, enabled: boolean) {
  return useQuery<Step[], ApiError>({
    queryKey: ["runs", runId, "steps"],
    queryFn: () => contactsApi.steps(runId),
    enabled,
  });
}

/** Reloads everything shown about one contact (after a change to it). */
export function useRefreshContact(id: number) {
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: one(id) });
}

/**
 * Keeps one contact's page current while the executor works: each run or
 * step change the shell announces (`cairn://change`) reloads the contact,
 * its timeline and any open run's steps. A workflow started by a change on
 * this page (a deal moved) shows up without a reload.
 */
export function useLiveContact(id: number) {
  const client = useQueryClient();
  useEffect(() => {
    let stop: (() => void) | undefined;
    let cancelled = false;
    activityApi
      .onChange(() => {
        void client.invalidateQueries({ queryKey: one(id) });
        void client.invalidateQueries({ queryKey: ["runs"] });
      })
      .then((unlisten) => {
        if (cancelled) unlisten();
        else stop = unlisten;
      })
      .catch(() => undefined);
    return () => {
      cancelled = true;
      stop?.();
    };
  }, [client, id]);
}
