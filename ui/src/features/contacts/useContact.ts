import { useQuery, useQueryClient } from "@tanstack/react-query";

import { CHANGE_EVENT, contactsApi, queryKeys } from "@/api";
import type { ApiError, Contact, Deal, Enrollment, Event, Pipeline, Run, Step } from "@/api";
import { useTauriEvent } from "@/hooks";



export function useContact(id: number) {
  return useQuery<Contact, ApiError>({ queryKey: queryKeys.contacts.contact(id), queryFn: () => contactsApi.get(id) });
}

export function useDeals(id: number) {
  return useQuery<Deal[], ApiError>({ queryKey: queryKeys.contacts.deals(id), queryFn: () => contactsApi.deals(id) });
}

export function usePipelines() {
  return useQuery<Pipeline[], ApiError>({ queryKey: queryKeys.contacts.pipelines, queryFn: contactsApi.pipelines });
}

export function useEnrollments(id: number) {
  return useQuery<Enrollment[], ApiError>({
    queryKey: queryKeys.contacts.enrollments(id),
    queryFn: () => contactsApi.enrollments(id),
  });
}

export function useCourses() {
  return useQuery<string[], ApiError>({ queryKey: queryKeys.contacts.courses, queryFn: contactsApi.courses });
}

export function useTimeline(id: number) {
  const events = useQuery<Event[], ApiError>({ queryKey: queryKeys.contacts.events(id), queryFn: () => contactsApi.events(id) });
  const runs = useQuery<Run[], ApiError>({ queryKey: queryKeys.contacts.runs(id), queryFn: () => contactsApi.runs(id) });
  return { events, runs };
}

export function useSteps(runId: number, enabled: boolean) {
  return useQuery<Step[], ApiError>({
    queryKey: queryKeys.runSteps(runId),
    queryFn: () => contactsApi.steps(runId),
    enabled,
  });
}

/** Reloads everything shown about one contact (after a change to it). */
export function useRefreshContact(id: number) {
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: queryKeys.contacts.one(id) });
}

/**
 * Keeps one contact's page current while the executor works: each run or
 * step change the shell announces (`cairn://change`) reloads the contact,
 * its timeline and any open run's steps. A workflow started by a change on
 * this page (a deal moved) shows up without a reload.
 */
export function useLiveContact(id: number) {
  const client = useQueryClient();
  useTauriEvent(CHANGE_EVENT, () => {
    void client.invalidateQueries({ queryKey: queryKeys.contacts.one(id) });
    void client.invalidateQueries({ queryKey: queryKeys.runs });
  });
}
