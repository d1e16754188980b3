// The courses of a course platform account (Thinkific, Teachable): which
// Cairn courses it holds and under which id there. Enrolling a contact in a
// linked course goes to the platform through the outbox; an unlinked course
// stays in Cairn only (docs/accounts.md). The course is named as typed (a
// new name makes the course). No <datalist> of known courses: when its
// options changed under the focused input after a link, WebKitGTK's
// suggestion popup left the end-to-end test's WebDriver session unable to
// find any element.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link2, Unlink } from "lucide-react";
import { type FormEvent, useState } from "react";

import { type ApiError, type CoursePlatform, accountsApi, queryKeys } from "@/api";
import { Button, ErrorPanel, inputClass } from "@/components";

import styles from "./Accounts.module.css";

export function CourseLinks({ account }: { account: string }) {
  const client = useQueryClient();
  const linked = useQuery<CoursePlatform[], ApiError>({
    queryKey: queryKeys.linkedCourses(account),
    queryFn: () => accountsApi.linkedCourses(account),
  });
  const [course, setCourse] = useState("");
  const [platformId, setPlatformId] = useState("");
  const changed = () => {
    void client.invalidateQueries({ queryKey: queryKeys.linkedCourses(account) });
    void client.invalidateQueries({ queryKey: queryKeys.contacts.courses });
  };
  const link = useMutation<CoursePlatform | null, ApiError, { course: string; id: string | null }>({
    mutationFn: ({ course, id }) => accountsApi.linkCourse(course, id === null ? null : { account, platform_course_id: id }),
    onSuccess: (_, v) => {
      if (v.id !== null) {
        setCourse("");
        setPlatformId("");
      }
      changed();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    link.mutate({ course: course.trim(), id: platformId.trim() });
  };

  return (
    <div className={styles.courses} data-testid="course-links">
      <h3 className={styles.coursesTitle}>Courses</h3>
      {linked.error && <ErrorPanel title="The linked courses could not be loaded" error={linked.error} />}
      {linked.data?.length === 0 && (
        <p className={styles.muted}>No course is linked yet: enrolments in Cairn's courses stay in Cairn until you link them here.</p>
      )}
      {linked.data && linked.data.length > 0 && (
        <ul className={styles.courseList}>
          {linked.data.map((c) => (
            <li key={c.course} data-testid="linked-course" data-course={c.course}>
              <span className={styles.courseName}>{c.course}</span>
              <span className={styles.muted}>course id {c.platform_course_id}</span>
              <Button
                onClick={() => link.mutate({ course: c.course, id: null })}
                disabled={link.isPending}
                aria-label={`Unlink ${c.course}`}
                data-testid="unlink-course"
              >
                <Unlink size={14} aria-hidden /> Unlink
              </Button>
            </li>
          ))}
        </ul>
      )}
      <form className={styles.courseForm} onSubmit={submit}>
        <input
          className={inputClass}
          value={course}
          onChange={(e) => setCourse(e.target.value)}
          placeholder="Course in Cairn"
          aria-label="Course in Cairn"
          data-testid="link-course-name"
        />
        <input
          className={inputClass}
          value={platformId}
          onChange={(e) => setPlatformId(e.target.value)}
          placeholder="Its id on the platform"
          aria-label="Course id on the platform"
          data-testid="link-course-id"
        />
        <Button type="submit" disabled={link.isPending || !course.trim() || !platformId.trim()} data-testid="link-course">
          <Link2 size={14} aria-hidden /> Link
        </Button>
      </form>
      {link.error && <ErrorPanel title="The course was not linked" error={link.error} />}
    </div>
  );
}
