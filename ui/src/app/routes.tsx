// Every screen's address. The app uses a hash router: Tauri serves one
// index.html, and hash addresses survive a reload without server rewrites.
//
// Places reserved for screens others build:
//   /workflows/:workflowId  the canvas editor of one workflow
//   /workflows/:workflowId/failures, …/analytics  views of one workflow
//   /runs/:runId  one run, with Retry / Restart from start
// Each "coming" screen gets its own route here when it is built.
import { Navigate, type RouteObject } from "react-router";

import { AccountsPage } from "@/features/accounts";
import { ActivityPage } from "@/features/activity";
import { ContactPage, ContactsPage } from "@/features/contacts";
import { EmailTemplatesPage } from "@/features/email-templates";
import { PipelinesPage } from "@/features/pipelines";
import { FailuresPage, RunPage } from "@/features/runs";
import { SettingsPage } from "@/features/settings";
import { TemplatesPage } from "@/features/templates";
import { WorkflowsPage } from "@/features/workflows";

import { ComingSoonPage } from "./ComingSoonPage";
import { loadEditor } from "./editorCode";
import { Layout } from "./Layout";
import { allNav } from "./nav";
import { NotFoundPage } from "./NotFoundPage";

const comingSoon: RouteObject[] = allNav
  .filter((item) => !item.ready)
  .map((item) => ({ path: item.path, element: <ComingSoonPage item={item} /> }));

export const routes: RouteObject[] = [
  // The canvas editor takes the whole window (no sidebar): it needs the
  // room. It loads on first use, so the app starts without the canvas code,
  // and is fetched ahead once the app idles (`editorCode.ts`).
  {
    path: "/workflows/:workflowId",
    lazy: async () => ({ Component: (await loadEditor()).EditorPage }),
  },
  {
    path: "/",
    element: <Layout />,
    children: [
      { index: true, element: <Navigate to="/workflows" replace /> },
      { path: "workflows", element: <WorkflowsPage /> },
      { path: "contacts", element: <ContactsPage /> },
      { path: "contacts/:contactId", element: <ContactPage /> },
      { path: "pipelines", element: <PipelinesPage /> },
      { path: "templates", element: <TemplatesPage /> },
      // The analytics screens carry the charting library: they load on first use.
      {
        path: "analytics",
        lazy: async () => ({ Component: (await import("@/features/analytics")).AnalyticsOverviewPage }),
      },
      {
        path: "workflows/:workflowId/analytics",
        lazy: async () => ({ Component: (await import("@/features/analytics")).WorkflowAnalyticsPage }),
      },
      { path: "workflows/:workflowId/failures", element: <FailuresPage /> },
      { path: "runs/:runId", element: <RunPage /> },
      { path: "accounts", element: <AccountsPage /> },
      { path: "email-templates", element: <EmailTemplatesPage /> },
      { path: "activity", element: <ActivityPage /> },
      { path: "settings", element: <SettingsPage /> },
      ...comingSoon,
      { path: "*", element: <NotFoundPage /> },
    ],
  },
];
