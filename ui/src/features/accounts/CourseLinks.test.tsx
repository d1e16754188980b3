import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import type { CoursePlatform } from "@/api";

import { CourseLinks } from "./CourseLinks";

afterEach(() => clearMocks());

/** A backend holding the links of one account, as the store does. */
function backend(initial: CoursePlatform[]) {
  let links = [...initial];
  const calls: { cmd: string; args: Record<string, unknown> }[] = [];
  mockIPC((cmd, raw) => {
    const args = raw as Record<string, unknown>;
    calls.push({ cmd, args });
    switch (cmd) {
      case "linked_courses":
        return links.filter((l) => l.account === args.account);
      case "list_courses":
        return ["Onboarding", "Program A"];
      case "link_course": {
        const course = args.course as string;
        const link = args.link as { account: string; platform_course_id: string } | null;
        if (link && !/^\d+$/.test(link.platform_course_id)) {
          // eslint-disable-next-line @typescript-eslint/only-throw-error -- the shell rejects with a plain {code, message}
          throw { code: "invalid", message: `the platform's course id ${JSON.stringify(link.platform_course_id)} is not valid` };
        }
        links = links.filter((l) => l.course !== course);
        if (!link) return null;
        const row = { course, account: link.account, platform_course_id: link.platform_course_id };
        links.push(row);
        return row;
      }
      default:
        return null;
    }
  });
  return calls;
}

function renderLinks() {
  return render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <CourseLinks account="School" />
    </QueryClientProvider>,
  );
}

describe("CourseLinks", () => {
  it("links a course to the platform's id and unlinks it again", async () => {
    const calls = backend([]);
    renderLinks();
    expect(await screen.findByText(/No course is linked yet/)).toBeInTheDocument();

    await userEvent.type(screen.getByTestId("link-course-name"), "Program A");
    await userEvent.type(screen.getByTestId("link-course-id"), "8801");
    await userEvent.click(screen.getByTestId("link-course"));

    const row = await screen.findByTestId("linked-course");
    expect(row).toHaveAttribute("data-course", "Program A");
    expect(row).toHaveTextContent("course id 8801");
    expect(calls.find((c) => c.cmd === "link_course")?.args).toEqual({
      course: "Program A",
      link: { account: "School", platform_course_id: "8801" },
    });
    expect(screen.getByTestId<HTMLInputElement>("link-course-name").value).toBe("");

    await userEvent.click(within(row).getByTestId("unlink-course"));
    await waitFor(() => expect(screen.queryByTestId("linked-course")).not.toBeInTheDocument());
    expect(calls.filter((c) => c.cmd === "link_course").at(-1)?.args).toEqual({ course: "Program A", link: null });
  });

  it("says why a link was refused and keeps what was typed", async () => {
    backend([{ course: "Onboarding", account: "School", platform_course_id: "12" }]);
    renderLinks();
    expect(await screen.findByTestId("linked-course")).toHaveTextContent("Onboarding");
    await userEvent.type(screen.getByTestId("link-course-name"), "Program A");
    await userEvent.type(screen.getByTestId("link-course-id"), "abc<x>");
    await userEvent.click(screen.getByTestId("link-course"));
    expect(await screen.findByText(/is not valid/)).toBeInTheDocument();
    expect(screen.getByTestId<HTMLInputElement>("link-course-id").value).toBe("abc<x>");
    expect(screen.getAllByTestId("linked-course")).toHaveLength(1);
  });

  it("cannot link without both a course and its id", async () => {
    backend([]);
    renderLinks();
    await userEvent.type(screen.getByTestId("link-course-name"), "Program A");
    expect(screen.getByTestId("link-course")).toBeDisabled();
  });
});
