import { useQuery, useQueryClient } from "@tanstack/react-query";

import { contactsApi } from "@/api";
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
