// The left navigation: every screen of the app, in the order users meet them.
// `ready: false` screens show a plain "coming" page rather than a broken one;
// whoever builds a screen flips the flag and gives it a route in routes.tsx.
import {
  Activity,
  ChartColumn,
  LayoutTemplate,
  type LucideIcon,
  Mail,
  PlugZap,
  Settings,
  SquareKanban,
  Users,
  Workflow,
} from "lucide-react";

export type NavItem = {
  path: string;
  label: string;
  icon: LucideIcon;
  /** One sentence on what the screen is for (shown while it is coming). */
  purpose: string;
  ready: boolean;
};

export const mainNav: NavItem[] = [
  {
    path: "/workflows",
    label: "Workflows",
    icon: Workflow,
    purpose: "Your automations and their status.",
    ready: true,
  },
  {
    path: "/contacts",
    label: "Contacts",
    icon: Users,
    purpose:
      "Search and filter your contacts by tag, import them from CSV, and follow each one's timeline of events, runs and steps.",
    ready: true,
  },
  {
    path: "/pipelines",
    label: "Pipelines",
    icon: SquareKanban,
    purpose: "Your deals as a board, stage by stage: drag a deal to move it, with totals per stage.",
    ready: true,
  },
  {
    path: "/templates",
    label: "Templates",
    icon: LayoutTemplate,
    purpose:
      "Ready-made workflows (welcome series, abandoned cart, lead magnet delivery) to start from and adapt.",
    ready: true,
  },
  {
    path: "/accounts",
    label: "Accounts",
    icon: PlugZap,
    purpose:
      "Connect SMTP, Stripe, Shopify, your email service and form tools; test each connection and see when it last synced.",
    ready: true,
  },
  {
    path: "/email-templates",
    label: "Email templates",
    icon: Mail,
    purpose: "Write the emails your workflows send, with merge fields and a preview.",
    ready: true,
  },
  {
    path: "/activity",
    label: "Activity",
    icon: Activity,
    purpose: "Everything that ran, waited or failed, newest first.",
    ready: true,
  },
  {
    path: "/analytics",
    label: "Analytics",
    icon: ChartColumn,
    purpose:
      "Completion, drop-off, errors, conversions and time saved, per workflow and over time.",
    ready: true,
  },
];

export const settingsNav: NavItem = {
  path: "/settings",
  label: "Settings",
  icon: Settings,
  purpose: "Where the database and secrets live, and what new workflows start with.",
  ready: true,
};

export const allNav: NavItem[] = [...mainNav, settingsNav];
